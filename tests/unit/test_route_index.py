"""The API function registers its routes from a generated index (chalicelib/api/route_index.py)
and loads a route's module on that route's first request: the index must be current, and a
lazily registered route must behave as the module's own view."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_route_index_is_current():
    # Given the route modules as they are, When the index is regenerated in check mode,
    # Then it matches the committed one (a route added without regenerating fails here).
    out = subprocess.run(
        [sys.executable, "-m", "scripts.build_route_index", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]


def test_the_app_registers_exactly_the_declared_routes():
    from app import app
    from chalicelib.api.routing import routes_of
    from chalicelib.blueprints import BLUEPRINTS

    declared = {(spec.method, spec.path, spec.content_types) for bp in BLUEPRINTS for spec in routes_of(bp)}
    registered = {
        (method, path, tuple(entry.content_types))
        for path, methods in app.routes.items()
        for method, entry in methods.items()
    }
    assert registered == declared


def test_a_stale_index_entry_fails_loudly_naming_the_fix():
    from app import app
    from chalicelib.blueprints import _lazy_view

    view = _lazy_view(app, "chalicelib.api.system", "GET", "/no-such-route", "nothing")
    try:
        view()
    except RuntimeError as exc:
        assert "build_route_index" in str(exc)
    else:
        raise AssertionError("a route its module does not declare was served")
