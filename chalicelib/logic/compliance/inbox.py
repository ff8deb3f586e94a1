"""What charities and platform admins read of compliance: their notifications and the monthly reports."""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.compliance import get_report_json, report_links
from chalicelib.dal.outbox import NotificationModel, notifications_for
from chalicelib.errors import NotFound
from chalicelib.logic.compliance.notices import PLATFORM, org_recipient

Notification = NotificationModel  # what a reader gets: kind, message, subject_id, created_at, delivered_at


def notifications_of_org(org_id: str, limit: int) -> list[Notification]:
    """A charity's notifications, newest first."""
    return notifications_for(org_recipient(org_id), limit=limit)


def platform_alerts(limit: int) -> list[Notification]:
    """Alerts for platform admins, newest first."""
    return notifications_for(PLATFORM, limit=limit)


def published_report(settings: Settings, month: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The self-check report of ``month`` (YYYY-MM) and short-lived links to its files; NotFound before it is built."""
    report = get_report_json(settings, month)
    if report is None:
        raise NotFound(f"no self-check report for {month} yet", code="report_not_found")
    return report, report_links(settings, month)
