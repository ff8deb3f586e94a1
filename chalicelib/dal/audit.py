"""Audit trail: every status change of a project or charity, who/what made it and why.

Append-only; keyed on the subject so a project's history is one Query.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.clock import SHANGHAI, parse_iso, to_iso, utcnow
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.compliance.meter import ReadMeter
from chalicelib.ids import new_id


class AuditByMonth(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """All changes of one calendar month (Asia/Shanghai), for the monthly self-check report."""

    class Meta:
        index_name = "by_month"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM
    at_id = UnicodeAttribute(range_key=True)


class AuditModel(GongyiModel):
    table_suffix = "audit"

    class Meta:
        table_name = "unbound"

    subject_id = UnicodeAttribute(hash_key=True)  # project_id / org_id / donation_id
    at_id = UnicodeAttribute(range_key=True)  # f"{iso time}#{ulid}": sorts by time, never collides
    subject_type = UnicodeAttribute()  # project | org | donation
    action = UnicodeAttribute()  # e.g. status_change
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # e.g. feedback_overdue, certificate_expired, suspended
    actor = UnicodeAttribute()  # user sub, or f"job:{name}"
    job_run = UnicodeAttribute(null=True)  # e.g. feedback_sweep@2026-12-01T00:00:00Z
    month = UnicodeAttribute()

    by_month = AuditByMonth()


def status_change_item(
    *,
    subject_type: str,
    subject_id: str,
    from_status: str | None,
    to_status: str | None,
    reason: str | None,
    actor: str,
    at: str,
    job_run: str | None = None,
    action: str = "status_change",
) -> AuditModel:
    """The (unsaved) audit record of a change made ``at`` (UTC ISO); its month is Shanghai's."""
    return AuditModel(
        subject_id=subject_id,
        at_id=f"{at}#{new_id()}",
        subject_type=subject_type,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor=actor,
        job_run=job_run,
        month=parse_iso(at).astimezone(SHANGHAI).strftime("%Y-%m"),
    )


def record_status_change(
    *,
    subject_type: str,
    subject_id: str,
    from_status: str | None,
    to_status: str | None,
    reason: str | None,
    actor: str,
    job_run: str | None = None,
    action: str = "status_change",
) -> AuditModel:
    item = status_change_item(
        subject_type=subject_type,
        subject_id=subject_id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor=actor,
        at=to_iso(utcnow()),
        job_run=job_run,
        action=action,
    )
    item.save()
    return item


def history(subject_id: str) -> list[AuditModel]:
    return list(AuditModel.query(subject_id, scan_index_forward=False))


def audit_of_month(month: str, meter: ReadMeter) -> list[AuditModel]:
    """Every change of ``month`` (YYYY-MM, Shanghai), for the monthly report."""
    return meter.drain(AuditModel.by_month.query(month))
