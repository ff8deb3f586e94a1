"""Payment provider routes: notifications (answered in each provider's format) and
the anomalies a platform admin reviews."""

from __future__ import annotations

from chalice import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic.donations import anomalies_to_review, confirm_payment

bp = Blueprint(__name__)
TAGS = ["payments"]


class AnomalyView(BaseModel):
    provider: str
    transaction_id: str
    kind: str
    donation_id: str | None
    expected_amount_fen: int | None
    notified_amount_fen: int | None
    detail: str | None
    first_seen_at: str
    last_seen_at: str
    seen_count: int


class AnomalyPage(BaseModel):
    items: list[AnomalyView]


@api_route(
    bp,
    "/payments/{provider}/notify",
    "POST",
    auth="none",
    raw_body=True,
    content_types=["application/json", "application/x-www-form-urlencoded", "text/plain"],
    summary="Payment notification from wechat, alipay or sandbox (provider formats)",
    tags=TAGS,
    extra_responses={401: "signature does not verify", 404: "unknown provider"},
)
def notify(ctx: RequestContext, provider: str) -> Response:
    _, reply = confirm_payment(ctx.settings, provider, ctx.request.headers, ctx.raw_body)
    return Response(body=reply.body, status_code=reply.status, headers={"Content-Type": reply.content_type})


@api_route(
    bp,
    "/payments/anomalies",
    "GET",
    response=AnomalyPage,
    roles=[Role.PLATFORM_ADMIN],
    summary="Verified payments that could not be counted, awaiting review",
    tags=TAGS,
)
def anomalies(ctx: RequestContext) -> AnomalyPage:
    items = [
        AnomalyView(
            provider=a.provider,
            transaction_id=a.transaction_id,
            kind=a.kind,
            donation_id=a.donation_id,
            expected_amount_fen=int(a.expected_amount_fen) if a.expected_amount_fen is not None else None,
            notified_amount_fen=int(a.notified_amount_fen) if a.notified_amount_fen is not None else None,
            detail=a.detail,
            first_seen_at=a.first_seen_at,
            last_seen_at=a.last_seen_at,
            seen_count=int(a.seen_count or 0),
        )
        for a in anomalies_to_review()
    ]
    return AnomalyPage(items=items)
