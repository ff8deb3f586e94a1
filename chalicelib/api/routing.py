"""Declaring routes: one decorator that parses, authenticates and documents.

``@api_route(bp, "/orgs", "POST", body=OrgApplication, response=OrgView,
roles=(Role.DONOR, ...))`` registers a Chalice route whose handler receives a
``RequestContext`` with the parsed body and query, the caller's principal and
the settings. The same declaration feeds ``/openapi.json``, so the document
cannot forget a route or disagree with the validation.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.api.http_errors import error_response
from chalicelib.auth import Principal, Role, authenticate
from chalicelib.config import Settings, get_settings
from chalicelib.errors import (
    InvalidJson,
    PayloadTooLarge,
    Unauthenticated,
    ValidationFailed,
)
from chalicelib.ids import new_id

Auth = Literal["optional", "required", "none"]
MAX_BODY_BYTES = 1_000_000
# Public GETs (no token needed, none sent) may be cached by the CDN and browsers for a
# second and served stale for one more while revalidating: in a surge the CDN answers
# almost every view, and a confirmed gift still shows within ~3 s (docs/scale.md).
PUBLIC_CACHE = "public, max-age=1, s-maxage=1, stale-while-revalidate=1"
PRIVATE_CACHE = "private, no-store"


def cache_control(spec: RouteSpec, signed_in: bool) -> str | None:
    """The ``Cache-Control`` of a response to ``spec`` (None: not a GET)."""
    if spec.method != "GET":
        return None
    if spec.auth == "required" or signed_in:
        return PRIVATE_CACHE  # personal, or possibly shaped by who asks
    return PUBLIC_CACHE


# No request body of this API nests deeper than a few levels; 64 leaves room and keeps
# json.loads (recursive in C and in pydantic) far from Python's recursion limit.
MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: Auth
    roles: tuple[Role, ...]
    content_types: tuple[str, ...]
    raw_body: bool
    extra_responses: dict[int, str] = field(default_factory=dict)


def routes_of(bp: Blueprint) -> list[RouteSpec]:
    """The route declarations made on ``bp`` (what ``/openapi.json`` documents)."""
    specs: list[RouteSpec] = bp.__dict__.setdefault("_gongyi_routes", [])
    return specs


def views_of(bp: Blueprint) -> dict[tuple[str, str], Callable[..., Any]]:
    """The Chalice view of each ``(method, path)`` declared on ``bp`` (what a lazily
    registered route calls once its module is loaded: ``chalicelib.blueprints``)."""
    views: dict[tuple[str, str], Callable[..., Any]] = bp.__dict__.setdefault("_gongyi_views", {})
    return views


@dataclass
class RequestContext:
    request: Request
    settings: Settings
    principal: Principal | None
    body: Any = None
    query: Any = None

    @property
    def request_id(self) -> str | None:
        return (self.request.context or {}).get("requestId")

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    @property
    def raw_body(self) -> bytes:
        raw = self.request.raw_body or b""
        return raw.encode() if isinstance(raw, str) else raw

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("sign in to do this", code="missing_token")
        return self.principal


def _validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "code": err["type"], "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def parse_model(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("the request is not valid", details=_validation_details(exc)) from None


def _parse_json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        return {}
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise InvalidJson(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidJson("the request body is not valid JSON") from None


_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(raw: bytes | str) -> int:
    """The deepest nesting of arrays and objects in ``raw``, counted without parsing it
    (linear, no recursion); brackets inside strings do not count."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = deepest = 0
    for match in _STRUCTURE.finditer(data):
        char = match.group()
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def _query_dict(request: Request) -> dict[str, str]:
    params: Any = request.query_params or {}
    return {key: params[key] for key in params}


def to_body(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [to_body(item) for item in result]
    return result


# Longer than our ~60-line habit on purpose: the whole life of a request (parse, authenticate,
# call, shape, document) reads top to bottom in one place, and every route goes through it.
def api_route(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    summary: str = "",
    tags: Sequence[str] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    auth: Auth = "optional",
    roles: Sequence[Role] = (),
    content_types: Sequence[str] = ("application/json",),
    raw_body: bool = False,
    extra_responses: dict[int, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``handler(ctx, **path_params)`` as ``method path`` on ``bp``.

    ``auth="optional"`` verifies a token when one is sent; ``"required"`` (implied by
    ``roles``) demands one; ``"none"`` ignores the header (payment providers).
    The handler returns a pydantic model (sent with ``status``), a
    ``(status, model)`` pair, or a Chalice ``Response`` for provider formats.
    """
    if roles:
        auth = "required"
    spec = RouteSpec(
        path=path,
        method=method.upper(),
        summary=summary,
        tags=tuple(tags),
        body=body,
        query=query,
        response=response,
        status=status,
        auth=auth,
        roles=tuple(roles),
        content_types=tuple(content_types),
        raw_body=raw_body,
        extra_responses=dict(extra_responses or {}),
    )
    routes_of(bp).append(spec)

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def view(**path_params: str) -> Response:
            request = bp.current_request
            # API Gateway's request id; invented when absent (tests, some local runs).
            correlation_id = (request.context or {}).get("requestId") or new_id()
            try:
                ctx = _build_context(spec, request)
                result = handler(ctx, **path_params)
                caching = cache_control(spec, ctx.principal is not None or bool(request.headers.get("authorization")))
                if isinstance(result, Response):
                    if caching and not any(k.lower() == "cache-control" for k in result.headers):
                        result.headers["Cache-Control"] = caching
                    return result
                code = spec.status
                if isinstance(result, tuple):
                    code, result = result
                headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
                if caching:
                    headers["Cache-Control"] = caching
                return Response(body=to_body(result), status_code=code, headers=headers)
            except Exception as exc:  # noqa: BLE001 - the one place errors become responses
                response = error_response(exc, correlation_id=correlation_id)
                if spec.method == "GET":
                    response.headers["Cache-Control"] = PRIVATE_CACHE  # an error is never cached
                return response

        views_of(bp)[(spec.method, path)] = view
        bp.route(path, methods=[spec.method], content_types=list(spec.content_types))(view)
        return handler

    return decorator


def _build_context(spec: RouteSpec, request: Request) -> RequestContext:
    settings = get_settings()
    principal = None
    if spec.auth != "none":
        principal = authenticate(request.headers.get("authorization"), settings)
        if spec.auth == "required" and principal is None:
            raise Unauthenticated("sign in to do this", code="missing_token")
        if spec.roles and principal is not None:
            principal.require_role(*spec.roles)
    ctx = RequestContext(request=request, settings=settings, principal=principal)
    if spec.query is not None:
        ctx.query = parse_model(spec.query, _query_dict(request))
    if spec.body is not None and not spec.raw_body:
        ctx.body = parse_model(spec.body, _parse_json_body(request))
    return ctx
