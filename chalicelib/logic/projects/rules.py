"""The rules every project use case applies: qualification, dates, image keys, offline reasons."""

from __future__ import annotations

from datetime import date, datetime

from chalicelib.clock import parse_iso
from chalicelib.dal import orgs as org_store
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.logic.deadlines import end_of_day_iso, final_report_due_iso, start_of_day_iso
from chalicelib.logic.orgs import certificate_valid

SUSPENDED, FEEDBACK_OVERDUE, CERTIFICATE_EXPIRED = "suspended", "feedback_overdue", "certificate_expired"
EDITABLE_WHILE_LIVE = {"summary", "description", "beneficiary", "cover_image_key"}
SAVE_ATTEMPTS = 3


def require_fundraising_qualification(org: OrgModel, today: date) -> None:
    """Only an approved charity holding a valid 公开募捐资格证书 may raise money publicly."""
    if org.status != "approved":
        raise Conflict(f"the raising charity is {org.status}, not approved", code="org_not_approved")
    if org.fundraising is None:
        raise Conflict(
            "the raising charity has no public-fundraising qualification; raise through a qualified charity (合作募捐)",
            code="fundraising_qualification_required",
        )
    if not certificate_valid(org.fundraising, today):
        raise Conflict(
            "the raising charity's public-fundraising qualification is not valid today",
            code="fundraising_qualification_expired",
        )


def status_without_reasons(project: ProjectModel, now: datetime) -> str:
    """Where a project with no offline reason stands: online, or ended past its end."""
    return "ended" if now > parse_iso(project.end_at) else "online"


def check_dates(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(
            "end_date is before start_date",
            code="end_before_start",
            details=[{"field": "end_date", "code": "end_before_start"}],
        )


def check_image_key(key: str | None, project: ProjectModel, field: str) -> None:
    allowed = (f"orgs/{project.org_id}/", f"projects/{project.project_id}/")
    if key is not None and not key.startswith(allowed):
        raise ValidationFailed(
            f"{field} must be a key handed out by an upload route of this charity or project",
            code="unknown_image_key",
            details=[{"field": field, "code": "unknown_image_key"}],
        )


def check_executor(executor_org_id: str | None, org_id: str) -> str | None:
    if executor_org_id is None or executor_org_id == org_id:
        return None
    executor = org_store.find_org(executor_org_id)
    if executor is None or executor.status != "approved":
        raise ValidationFailed(
            "the executing partner must be an approved charity",
            code="executor_not_approved",
            details=[{"field": "executor_org_id", "code": "executor_not_approved"}],
        )
    return executor_org_id


def apply_dates(project: ProjectModel, start: date, end: date) -> None:
    project.start_date, project.end_date = start.isoformat(), end.isoformat()
    project.start_at, project.end_at = start_of_day_iso(start), end_of_day_iso(end)
    # Known from the end date; kept on the item so whoever ends the project need not compute it.
    project.final_report_due_at = final_report_due_iso(project.end_at)


def remove_offline_reason(project: ProjectModel, reason: str, now: datetime) -> None:
    """Drop one offline reason; with none left the project is live again (or ended)."""
    project.offline_reasons = [r for r in project.offline_reasons or [] if r != reason]
    if project.status == "offline" and not project.offline_reasons:
        project.status = status_without_reasons(project, now)
