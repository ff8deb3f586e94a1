"""配捐 match pool routes: create, read, close, extend."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, Field, model_validator

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.logic.matching import pools as logic

bp = Blueprint(__name__)
TAGS = ["matching"]

Ids = list[str]


class PoolIn(BaseModel):
    funder: str = Field(min_length=1, max_length=100)
    enterprise_id: str | None = Field(default=None, max_length=40, description="an enterprise's own pool")
    budget_fen: int = Field(ge=1, le=10**13, strict=True)
    ratio_num: int = Field(ge=1, le=100, strict=True, description="matched fen per ratio_den fen given")
    ratio_den: int = Field(ge=1, le=100, strict=True)
    gift_cap_fen: int = Field(ge=1, strict=True, description="at most this much per gift")
    donor_day_cap_fen: int | None = Field(default=None, ge=1, strict=True, description="per donor per Shanghai day")
    project_cap_fen: int | None = Field(default=None, ge=1, strict=True, description="per project")
    project_ids: Ids = Field(default_factory=list, max_length=50)
    campaign_ids: Ids = Field(default_factory=list, max_length=10)
    windows: list[str] = Field(
        min_length=1, max_length=50, description="matched hours: start/end, ISO-8601 with offset"
    )
    budget_shards: int = Field(default=16, ge=1, le=64, strict=True)

    @model_validator(mode="after")
    def _targets(self) -> PoolIn:
        if not self.project_ids and not self.campaign_ids:
            raise ValueError("name project_ids or campaign_ids")
        return self


class PoolView(BaseModel):
    pool_id: str
    funder: str
    enterprise_id: str | None
    status: str
    budget_fen: int
    budget_left_fen: int = Field(description="the sum of the budget shards")
    matched_fen: int
    match_count: int
    ratio_num: int
    ratio_den: int
    gift_cap_fen: int
    donor_day_cap_fen: int | None
    project_cap_fen: int | None
    project_ids: Ids
    campaign_ids: Ids
    windows: list[str]
    budget_shards: int
    created_at: str


class ExtendIn(BaseModel):
    add_budget_fen: int = Field(default=0, ge=0, le=10**13, strict=True)
    windows: list[str] = Field(default_factory=list, max_length=50)


@api_route(
    bp,
    "/match-pools",
    "POST",
    body=PoolIn,
    response=PoolView,
    status=201,
    auth="required",
    summary="Create a 配捐 match pool (platform admin, or an approved enterprise for its own pool; "
    "Idempotency-Key accepted)",
    tags=TAGS,
    extra_responses={
        400: "Idempotency-Key longer than 128 characters (idempotency_key_invalid)",
        422: "invalid, or Idempotency-Key reused with another body",
    },
)
def create_pool(ctx: RequestContext) -> PoolView:
    return PoolView.model_validate(
        logic.create_pool(ctx.require_principal(), ctx.body.model_dump(), idempotency_key=ctx.header("Idempotency-Key"))
    )


@api_route(bp, "/match-pools/{pool_id}", "GET", response=PoolView, auth="none", summary="A match pool", tags=TAGS)
def get_pool(ctx: RequestContext, pool_id: str) -> PoolView:
    return PoolView.model_validate(logic.pool_view(pool_id))


@api_route(
    bp, "/match-pools/{pool_id}/close", "POST", response=PoolView, auth="required", summary="Close a pool", tags=TAGS
)
def close_pool(ctx: RequestContext, pool_id: str) -> PoolView:
    return PoolView.model_validate(logic.close_pool(ctx.require_principal(), pool_id))


@api_route(
    bp,
    "/match-pools/{pool_id}/extend",
    "POST",
    body=ExtendIn,
    response=PoolView,
    auth="required",
    summary="Add budget and/or matched hours to an open pool",
    tags=TAGS,
)
def extend_pool(ctx: RequestContext, pool_id: str) -> PoolView:
    return PoolView.model_validate(logic.extend_pool(ctx.require_principal(), pool_id, ctx.body.model_dump()))
