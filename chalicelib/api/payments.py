"""Payment provider routes: notifications (answered in each provider's format) and
the anomalies a platform admin reviews."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.errors import BadRequest
from chalicelib.logic.donations import anomalies_to_review, confirm_payment
from chalicelib.logic.payments.reconciliation import reconciliation_of_day
from chalicelib.logic.payments.refunds import on_refund_notification

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


@api_route(
    bp,
    "/payments/{provider}/refund-notify",
    "POST",
    auth="none",
    raw_body=True,
    content_types=["application/json"],
    summary="Refund notification from wechat (REFUND.SUCCESS / ABNORMAL / CLOSED)",
    tags=TAGS,
    extra_responses={401: "signature does not verify", 404: "unknown provider"},
)
def refund_notify(ctx: RequestContext, provider: str) -> Response:
    reply = on_refund_notification(ctx.settings, provider, ctx.request.headers, ctx.raw_body)
    return Response(body=reply.body, status_code=reply.status, headers={"Content-Type": reply.content_type})


class ReconciliationView(BaseModel):
    day: str = Field(description="YYYY-MM-DD, Asia/Shanghai")
    providers: dict[str, Any] = Field(
        description="per provider: bill and counted counts and sums (fen), recovered donations, "
        "differences (kind, transaction_id, donation_id, ours, bill), the raw bill's key"
    )


@api_route(
    bp,
    "/payments/reconciliations/{day}",
    "GET",
    response=ReconciliationView,
    roles=[Role.PLATFORM_ADMIN],
    summary="The day's reconciliation against the providers' bills (对账)",
    tags=TAGS,
)
def reconciliation(ctx: RequestContext, day: str) -> ReconciliationView:
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise BadRequest("the day is YYYY-MM-DD", code="invalid_day")
    return ReconciliationView.model_validate(reconciliation_of_day(day))
