"""The API function's cold start imports no heavy library it does not need: no X-Ray SDK
unless the stage traces, no PDF or spreadsheet library (those load inside their workers),
and no route module, pydantic, PynamoDB, boto3 or JWT library: routes are registered from
the generated index and their modules load on the first request to one of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, TEST_ENV

HEAVY = ("aws_xray_sdk", "reportlab", "segno", "openpyxl", "PIL")
# Loaded by the first request that needs them, never by `import app` (issue 12: cold start).
ON_FIRST_REQUEST = ("pydantic", "pynamodb", "boto3", "jwt", "cryptography", "chalicelib.api.routing")
PROBE = (
    "import sys, json; import app; "
    f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], "
    f"'lazy_loaded': [m for m in {ON_FIRST_REQUEST!r} if m in sys.modules], "
    "'modules': sorted(m for m in sys.modules if m.startswith(('chalicelib.api.', 'chalicelib.dal.', 'chalicelib.logic.'))), "
    "'routes': sum(len(methods) for methods in app.app.routes.values()), "
    "'middleware': len(app.app.middleware_handlers)}))"
)
# After import, one request through the app: which route modules did it load?
FIRST_REQUEST = (
    "import sys, json; import app; from chalice.test import Client; "
    "status = Client(app.app).http.get('/health').status_code; "
    "print(json.dumps({'status': status, "
    "'modules': sorted(m for m in sys.modules if m.startswith('chalicelib.api.'))}))"
)


def _run(code: str, **extra: str) -> dict[str, object]:
    env = {**os.environ, **TEST_ENV, **extra}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _import_app(**extra: str) -> dict[str, object]:
    return _run(PROBE, **extra)


def test_import_app_loads_no_heavy_library_when_tracing_is_off():
    assert _import_app(GONGYI_TRACING="false")["loaded"] == []


def test_import_app_registers_every_route_without_loading_any_route_module():
    from chalicelib.api.route_index import ROUTES

    probe = _import_app(GONGYI_TRACING="false")
    assert probe["routes"] == len(ROUTES) > 0
    assert probe["lazy_loaded"] == []
    # the generated index (data) is the one module of chalicelib.api a cold start reads
    assert probe["modules"] == ["chalicelib.api.route_index", "chalicelib.dal.binding"]


def test_a_first_request_loads_only_the_module_of_its_route():
    probe = _run(FIRST_REQUEST, GONGYI_TRACING="false")
    assert probe["status"] == 200
    loaded = probe["modules"]
    assert "chalicelib.api.system" in loaded  # type: ignore[operator]
    for other in ("chalicelib.api.donations", "chalicelib.api.orgs", "chalicelib.api.fundflow"):
        assert other not in loaded  # type: ignore[operator]


def test_tracing_on_brings_the_tracer_middleware_and_the_xray_sdk():
    off, on = _import_app(GONGYI_TRACING="false"), _import_app(GONGYI_TRACING="true")
    assert "aws_xray_sdk" in on["loaded"]  # type: ignore[operator]
    assert on["middleware"] == off["middleware"] + 1  # type: ignore[operator]
