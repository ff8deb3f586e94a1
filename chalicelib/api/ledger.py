"""Public ledger routes: the latest signed tree head, the public key, inclusion and consistency proofs."""

from __future__ import annotations

from dataclasses import asdict

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic.ledger import heads, proofs

bp = Blueprint(__name__)
TAGS = ["ledger"]


class HeadView(BaseModel):
    tree_size: int
    root_hash: str = Field(description="hex SHA-256, RFC 9162 MTH")
    timestamp: str
    signature: str = Field(description="hex Ed25519 over b'gongyi-ledger-head-v1\\n{size}\\n{root}\\n{timestamp}\\n'")


class PublicKeyView(BaseModel):
    algorithm: str = "Ed25519"
    public_key: str = Field(description="hex, raw 32 bytes")


class InclusionQuery(BaseModel):
    entry: str = Field(min_length=1, max_length=200, description="event id (donation:<id>:paid) or leaf index")
    size: int = Field(gt=0)


class ConsistencyQuery(BaseModel):
    first: int = Field(gt=0)
    second: int = Field(gt=0)


class InclusionView(BaseModel):
    leaf_index: int
    tree_size: int
    event_id: str
    entry: str = Field(description="the entry's canonical JSON: leaf hash = SHA-256(0x00 || UTF-8 bytes)")
    audit_path: list[str]


class ConsistencyView(BaseModel):
    first: int
    second: int
    proof: list[str]


@api_route(
    bp, "/ledger/heads/latest", "GET", response=HeadView, auth="none", summary="The latest signed tree head", tags=TAGS
)
def latest_head(ctx: RequestContext) -> HeadView:
    return HeadView.model_validate(asdict(heads.latest_head()))


@api_route(
    bp,
    "/ledger/public-key",
    "GET",
    response=PublicKeyView,
    auth="none",
    summary="The platform key that signs tree heads",
    tags=TAGS,
)
def public_key(ctx: RequestContext) -> PublicKeyView:
    return PublicKeyView(public_key=heads.public_key_hex(ctx.settings))


@api_route(
    bp,
    "/ledger/proofs/inclusion",
    "GET",
    query=InclusionQuery,
    response=InclusionView,
    auth="none",
    summary="An entry and its audit path in the tree of the given size",
    tags=TAGS,
)
def inclusion(ctx: RequestContext) -> InclusionView:
    return InclusionView.model_validate(asdict(proofs.inclusion(ctx.query.entry, ctx.query.size)))


@api_route(
    bp,
    "/ledger/proofs/consistency",
    "GET",
    query=ConsistencyQuery,
    response=ConsistencyView,
    auth="none",
    summary="Proof that the tree of size second only appended to the tree of size first",
    tags=TAGS,
)
def consistency(ctx: RequestContext) -> ConsistencyView:
    return ConsistencyView.model_validate(asdict(proofs.consistency(ctx.query.first, ctx.query.second)))


@api_route(
    bp,
    "/ledger/heads",
    "POST",
    response=HeadView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Sign and publish a head now if the tree grew (the schedule does it every 5 minutes)",
    tags=TAGS,
)
def publish_head(ctx: RequestContext) -> HeadView:
    heads.publish_head(ctx.settings)
    return HeadView.model_validate(asdict(heads.latest_head()))
