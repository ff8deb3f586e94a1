"""Donation routes: give, read (public, donor, admin), refund, shards and totals."""

from __future__ import annotations

from typing import Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic import donations as logic
from chalicelib.privacy import mask_name

bp = Blueprint(__name__)
TAGS = ["donations"]


class DonationIn(BaseModel):
    amount_fen: int = Field(
        ge=1, strict=True, description="amount in fen (分); at most the platform's per-donation cap"
    )
    donor_name: str | None = Field(default=None, max_length=50)
    donor_phone: str | None = Field(default=None, max_length=20, description="mainland mobile number; never shown")
    anonymous: bool = False
    message: str | None = Field(default=None, max_length=200)
    channel: Literal["wechat", "alipay", "sandbox"]
    team_id: str | None = Field(default=None, max_length=40, description="一起捐: give through a team of this project")
    pay_with: Literal["jsapi", "native", "h5", "page", "wap", "app", "sandbox"] | None = Field(
        default=None,
        description="the frontend the donor pays in: wechat jsapi (mini-program/公众号), native (QR), h5; "
        "alipay page, wap, app. Default: native / page",
    )
    login_code: str | None = Field(
        default=None, max_length=128, description="wechat jsapi: the wx.login code (the payer's openid comes from it)"
    )


class DonationView(BaseModel):
    donation_id: str
    project_id: str
    org_id: str
    amount_fen: int
    donor_name: str | None
    donor_phone: str | None = Field(description="masked (138****5678)")
    anonymous: bool
    message: str | None
    channel: str
    status: Literal["pending", "paid", "refunded", "expired"]
    created_at: str
    pay_by: str | None
    paid_at: str | None
    refunded_at: str | None
    refund_reason: str | None
    provider_txn_id: str | None


class DonationStarted(BaseModel):
    donation: DonationView
    payment: dict[str, Any] = Field(description="what the frontend needs to start paying with the chosen provider")


class PublicDonation(BaseModel):
    donor: str = Field(description="masked name (张*), or 爱心人士 for anonymous donors")
    amount_fen: int
    donated_at: str
    message: str | None


class PublicDonationPage(BaseModel):
    items: list[PublicDonation]
    next_cursor: str | None


class MyDonationPage(BaseModel):
    items: list[DonationView]
    next_cursor: str | None


class PageQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


class RefundIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)


class ShardsIn(BaseModel):
    counter_shards: int = Field(ge=1, le=1000, strict=True)


class ShardsView(BaseModel):
    project_id: str
    counter_shards: int


class TotalsView(BaseModel):
    project_id: str
    amount_fen: int = Field(description="given by donors: online + imported")
    donation_count: int
    donor_count: int
    online_fen: int = Field(description="given online")
    imported_fen: int = Field(description="imported (offline channels)")
    matched_fen: int = Field(description="配捐 matched from pools, on top of amount_fen")
    total_fen: int = Field(description="amount_fen + matched_fen")


@api_route(
    bp,
    "/projects/{project_id}/donations",
    "POST",
    body=DonationIn,
    response=DonationStarted,
    status=201,
    auth="optional",
    summary="Give to a project (send an Idempotency-Key header)",
    tags=TAGS,
    extra_responses={
        409: "project not accepting donations",
        422: "invalid, or Idempotency-Key reused",
        503: "the payment provider did not answer (provider_unavailable; see Retry-After)",
    },
)
def give(ctx: RequestContext, project_id: str) -> DonationStarted:
    result = logic.create_donation(
        ctx.settings,
        project_id=project_id,
        idempotency_key=ctx.header("idempotency-key"),
        body=ctx.body.model_dump(),
        donor_sub=ctx.principal.sub if ctx.principal else None,
        lambda_context=bp.lambda_context,
        client_ip=(ctx.request.context or {}).get("identity", {}).get("sourceIp"),
    )
    return DonationStarted.model_validate(result)


@api_route(
    bp,
    "/projects/{project_id}/donations",
    "GET",
    query=PageQuery,
    response=PublicDonationPage,
    auth="none",
    summary="Paid donations of a project, newest first (names masked)",
    tags=TAGS,
)
def list_project_donations(ctx: RequestContext, project_id: str) -> PublicDonationPage:
    page, cursor = logic.public_donations(ctx.settings, project_id, limit=ctx.query.limit, cursor=ctx.query.cursor)
    items = [
        PublicDonation(
            donor=mask_name(d.donor_name, anonymous=bool(d.anonymous)),
            amount_fen=int(d.amount_fen),
            donated_at=d.paid_at or d.created_at,
            message=d.message,
        )
        for d in page
    ]
    return PublicDonationPage(items=items, next_cursor=cursor)


@api_route(
    bp,
    "/projects/{project_id}/totals",
    "GET",
    response=TotalsView,
    auth="none",
    summary="Amount raised, donations and distinct donors of a project",
    tags=TAGS,
)
def totals(ctx: RequestContext, project_id: str) -> TotalsView:
    t = logic.project_totals(ctx.settings, project_id)
    return TotalsView(
        project_id=project_id,
        amount_fen=t.amount_fen,
        donation_count=t.donation_count,
        donor_count=t.donor_count,
        online_fen=t.online_fen,
        imported_fen=t.imported_fen,
        matched_fen=t.matched_fen,
        total_fen=t.total_fen,
    )


@api_route(
    bp,
    "/projects/{project_id}/shards",
    "POST",
    body=ShardsIn,
    response=ShardsView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Raise a project's number of counter shards (emergency projects)",
    tags=TAGS,
)
def raise_shards(ctx: RequestContext, project_id: str) -> ShardsView:
    return ShardsView.model_validate(logic.raise_shards(project_id, ctx.body.counter_shards))


@api_route(
    bp,
    "/donations/{donation_id}",
    "GET",
    response=DonationView,
    auth="required",
    summary="One donation in full, for its donor or a platform admin",
    tags=TAGS,
)
def get_donation(ctx: RequestContext, donation_id: str) -> DonationView:
    principal = ctx.require_principal()
    view = logic.visible_donation(donation_id, sub=principal.sub, is_platform_admin=principal.is_platform_admin)
    return DonationView.model_validate(view)


@api_route(
    bp,
    "/me/donations",
    "GET",
    query=PageQuery,
    response=MyDonationPage,
    auth="required",
    summary="The signed-in donor's donations, newest first",
    tags=TAGS,
)
def my_donations(ctx: RequestContext) -> MyDonationPage:
    principal = ctx.require_principal()
    items, cursor = logic.my_donations(principal.sub, limit=ctx.query.limit, cursor=ctx.query.cursor)
    return MyDonationPage(items=[DonationView.model_validate(i) for i in items], next_cursor=cursor)


@api_route(
    bp,
    "/donations/{donation_id}/refund",
    "POST",
    body=RefundIn,
    response=DonationView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Refund a paid donation (totals go down once; the provider is asked to refund)",
    tags=TAGS,
)
def refund(ctx: RequestContext, donation_id: str) -> DonationView:
    principal = ctx.require_principal()
    view = logic.refund_donation(ctx.settings, donation_id, reason=ctx.body.reason, actor=principal.sub)
    return DonationView.model_validate(view)
