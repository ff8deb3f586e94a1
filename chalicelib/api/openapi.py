"""The OpenAPI 3.1 document, generated from the route declarations and the
pydantic models the routes validate with (never written by hand)."""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.http_errors import ErrorBody
from chalicelib.api.routing import RouteSpec, routes_of

REF_TEMPLATE = "#/components/schemas/{model}"
_ERROR_REF = {"$ref": REF_TEMPLATE.format(model="ErrorBody")}


def _models(routes: list[RouteSpec]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {"ErrorBody": ErrorBody}
    for spec in routes:
        for model in (spec.body, spec.response):
            if model is not None:
                seen.setdefault(model.__name__, model)
    return list(seen.values())


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "title"},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(spec: RouteSpec, refs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', spec.path).strip('_') or 'root'}",
        "summary": spec.summary or f"{spec.method} {spec.path}",
        "tags": list(spec.tags),
        "responses": {},
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        params.extend(_query_parameters(spec.query))
    if params:
        op["parameters"] = params
    if spec.body is not None:
        media = spec.content_types[0]
        op["requestBody"] = {"required": True, "content": {media: {"schema": refs[spec.body.__name__]}}}
    elif spec.raw_body:
        op["requestBody"] = {
            "required": True,
            "content": {ct: {"schema": {"type": "string"}} for ct in spec.content_types},
        }
    ok: dict[str, Any] = {"description": "success"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": refs[spec.response.__name__]}}
    op["responses"][str(spec.status)] = ok
    for code, text in spec.extra_responses.items():
        extra: dict[str, Any] = {"description": text}
        if 200 <= code < 300 and "content" in ok:  # another success with the same body
            extra["content"] = ok["content"]
        elif code >= 400:
            extra["content"] = {"application/json": {"schema": _ERROR_REF}}
        op["responses"][str(code)] = extra
    error_codes: dict[str, str] = {
        "4XX": "client error (see error.code)",
        "500": "internal error with a correlation id",
    }
    if spec.auth == "required":
        op["security"] = [{"bearer": []}]
        error_codes["401"] = "missing, malformed, badly signed or expired token"
        error_codes["403"] = "wrong role or another charity's resource"
    elif spec.auth == "optional":
        op["security"] = [{}, {"bearer": []}]
    for status_key, text in error_codes.items():
        op["responses"].setdefault(
            status_key, {"description": text, "content": {"application/json": {"schema": _ERROR_REF}}}
        )
    return op


def build_openapi(blueprints: list[Blueprint], *, version: str, server_url: str | None = None) -> dict[str, Any]:
    routes = [spec for bp in blueprints for spec in routes_of(bp)]
    models = _models(routes)
    keyed, definitions = models_json_schema([(m, "validation") for m in models], ref_template=REF_TEMPLATE)
    refs = {m.__name__: keyed[(m, "validation")] for m in models}
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "gongyi",
            "version": version,
            "description": "Back end of an internet public-fundraising platform (互联网公开募捐信息平台).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
