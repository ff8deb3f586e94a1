"""Compliance routes: notifications, platform alerts, monthly reports, running a job by hand."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from pydantic import BaseModel, Field, field_validator

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.clock import parse_iso, utcnow
from chalicelib.errors import ValidationFailed

if TYPE_CHECKING:
    from chalicelib.logic.compliance.inbox import Notification

bp = Blueprint(__name__)
TAGS = ["compliance"]
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class NotificationView(BaseModel):
    kind: str
    message: str
    subject_id: str | None
    created_at: str
    delivered_at: str | None


class NotificationList(BaseModel):
    recipient: str
    items: list[NotificationView]


class ListQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)


class JobRequest(BaseModel):
    as_of: str | None = Field(default=None, description="ISO-8601 with a timezone; default: now")

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: str | None) -> str | None:
        if value is not None:
            parse_iso(value)  # raises ValueError for a malformed or naive time
        return value


class JobRunView(BaseModel):
    job: str
    period: str
    as_of: str
    ran: bool = Field(description="false: this period had run already; nothing was done again")
    summary: dict[str, Any]


class ReportView(BaseModel):
    month: str
    report: dict[str, Any]
    downloads: dict[str, str] = Field(description="short-lived links to the JSON, CSV and HTML files")


def notification_view(n: Notification) -> NotificationView:
    return NotificationView(
        kind=n.kind, message=n.message, subject_id=n.subject_id, created_at=n.created_at, delivered_at=n.delivered_at
    )


def _notification_list(recipient: str, notes: list[Notification]) -> NotificationList:
    return NotificationList(recipient=recipient, items=[notification_view(n) for n in notes])


@api_route(
    bp,
    "/orgs/{org_id}/notifications",
    "GET",
    query=ListQuery,
    response=NotificationList,
    roles=[Role.ORG_ADMIN, Role.PLATFORM_ADMIN],
    summary="A charity's notifications, newest first",
    tags=TAGS,
)
def org_notifications(ctx: RequestContext, org_id: str) -> NotificationList:
    from chalicelib.logic.compliance.inbox import notifications_of_org

    ctx.require_principal().require_org(org_id)
    return _notification_list(f"org#{org_id}", notifications_of_org(org_id, ctx.query.limit))


@api_route(
    bp,
    "/compliance/alerts",
    "GET",
    query=ListQuery,
    response=NotificationList,
    roles=[Role.PLATFORM_ADMIN],
    summary="Alerts for platform admins, newest first",
    tags=TAGS,
)
def platform_alerts(ctx: RequestContext) -> NotificationList:
    from chalicelib.logic.compliance import inbox

    return _notification_list("platform", inbox.platform_alerts(ctx.query.limit))


@api_route(
    bp,
    "/compliance/reports/{month}",
    "GET",
    response=ReportView,
    roles=[Role.PLATFORM_ADMIN],
    summary="The monthly self-check report (YYYY-MM) with download links",
    tags=TAGS,
)
def monthly_report(ctx: RequestContext, month: str) -> ReportView:
    from chalicelib.logic.compliance.inbox import published_report

    if not MONTH.match(month):
        raise ValidationFailed("the month must be YYYY-MM", code="invalid_month")
    report, downloads = published_report(ctx.settings, month)
    return ReportView(month=month, report=report, downloads=downloads)


@api_route(
    bp,
    "/compliance/jobs/{name}",
    "POST",
    body=JobRequest,
    response=JobRunView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Run a compliance job by hand, as of a time (idempotent per period)",
    tags=TAGS,
)
def run_job_by_hand(ctx: RequestContext, name: str) -> JobRunView:
    from chalicelib.logic.compliance.runner import run_job

    as_of: datetime = parse_iso(ctx.body.as_of) if ctx.body.as_of else utcnow()
    outcome = run_job(name, as_of, ctx.settings)
    return JobRunView(
        job=outcome.job, period=outcome.period, as_of=outcome.as_of, ran=outcome.ran, summary=outcome.summary
    )
