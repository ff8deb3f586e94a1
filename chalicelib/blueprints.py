"""Every HTTP route module the API function serves, and registering their routes lazily.

A route module (``chalicelib.api.<name>``) exposes one Chalice ``Blueprint``, ``bp``,
on which ``api_route`` declares its routes. ``ROUTE_MODULES`` lists them in registration
order. ``app.py`` does not import them: ``register_routes`` registers every route from
the generated index ``chalicelib/api/route_index.py`` (method, path, content types, view
name and module of each route), each with a small view that imports its module on the
route's first request. A cold start therefore loads only the modules (and the pydantic
models, PynamoDB models and clients behind them) of the routes it serves (issue 12).

Adding a route module: add it to ``ROUTE_MODULES`` and run
``python -m scripts.build_route_index`` (``--check`` fails when the index is stale;
``tests/unit/test_route_index.py`` runs it). Adding a route to an existing module needs
the same regeneration. ``BLUEPRINTS`` (every blueprint, all modules imported) is what
``/openapi.json`` and the doc scripts read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalice import Blueprint, Chalice

ROUTE_MODULES: tuple[str, ...] = (
    "chalicelib.api.system",
    "chalicelib.api.donations",
    "chalicelib.api.payments",
    "chalicelib.api.receipts",
    "chalicelib.api.orgs",
    "chalicelib.api.projects",
    "chalicelib.api.complaints",
    "chalicelib.api.campaigns",
    "chalicelib.api.imports",
    "chalicelib.api.compliance",
    "chalicelib.api.search",
    "chalicelib.api.fundflow",
    "chalicelib.api.follows",
    "chalicelib.api.ledger",
    "chalicelib.api.matching",
    "chalicelib.api.teams",
)


def all_blueprints() -> list[Blueprint]:
    """The blueprint of every route module, in registration order (imports them all)."""
    return [importlib.import_module(name).bp for name in ROUTE_MODULES]


def __getattr__(name: str) -> Any:
    if name == "BLUEPRINTS":  # computed on use: importing this module imports no route module
        return all_blueprints()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_routes(app: Chalice) -> None:
    """Register every indexed route on ``app``; a route's module loads on its first request."""
    from chalicelib.api.route_index import ROUTES  # noqa: PLC0415 - generated data, no imports

    for module, method, path, content_types, view_name in ROUTES:
        app.route(path, methods=[method], content_types=list(content_types))(
            _lazy_view(app, module, method, path, view_name)
        )


_views: dict[tuple[str, str], Callable[..., Any]] = {}


def _lazy_view(app: Chalice, module: str, method: str, path: str, view_name: str) -> Callable[..., Any]:
    def view(**path_params: str) -> Any:
        real = _views.get((method, path))
        if real is None:
            real = _load(app, module, method, path)
        return real(**path_params)

    view.__name__ = view_name
    return view


def _load(app: Chalice, module: str, method: str, path: str) -> Callable[..., Any]:
    from chalicelib.api.routing import views_of  # noqa: PLC0415 - loads with the first route

    bp = importlib.import_module(module).bp
    views = views_of(bp)
    if (method, path) not in views:
        raise RuntimeError(f"{module} declares no {method} {path}: run python -m scripts.build_route_index")
    # What Blueprint.register does first (its views read bp.current_request and
    # bp.lambda_context through it); the routes themselves are on the app already.
    bp._current_app = app
    for (m, p), real in views.items():
        _views.setdefault((m, p), real)
    return views[(method, path)]
