"""Platform routes: health and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.openapi import build_openapi
from chalicelib.api.routing import RequestContext, api_route

bp = Blueprint(__name__)


class Health(BaseModel):
    status: str
    version: str
    stage: str


@api_route(bp, "/health", "GET", summary="Liveness and version", tags=["system"], response=Health, auth="none")
def health(ctx: RequestContext) -> Health:
    return Health(status="ok", version=ctx.settings.version, stage=ctx.settings.stage)


@api_route(bp, "/openapi.json", "GET", summary="This API as OpenAPI 3.1", tags=["system"], auth="none")
def openapi(ctx: RequestContext) -> Response:
    from chalicelib.blueprints import BLUEPRINTS

    doc: dict[str, Any] = build_openapi(
        BLUEPRINTS, version=ctx.settings.version, server_url=ctx.settings.public_base_url
    )
    return Response(body=doc, status_code=200, headers={"Content-Type": "application/json"})


class Me(BaseModel):
    sub: str
    role: str
    org_id: str | None


@api_route(
    bp, "/me", "GET", summary="Who the bearer token says the caller is", tags=["system"], response=Me, auth="required"
)
def me(ctx: RequestContext) -> Me:
    principal = ctx.require_principal()
    return Me(sub=principal.sub, role=principal.role.value, org_id=principal.org_id)
