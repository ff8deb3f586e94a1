"""Storage of the compliance jobs: job runs, the queries each job is keyed on,
and the conditional state changes they make.

No Scan anywhere: every read is a Query on an index keyed for the job (status +
due date, status + end date, status + certificate expiry, org), so a job reads
what is due, not the table. ``ReadMeter`` counts the items each query examined
(DynamoDB's ScannedCount), which is what the benchmark reports.

A state change made by a job is ONE transaction: the conditional update of the
project (``status = online AND feedback_due_at <= as_of`` ...), its audit record
and the notifications with their dedupe guards. A repeated run finds the
condition false and changes nothing; a crash leaves either all of it or none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.clock import SHANGHAI, parse_iso
from chalicelib.config import Settings
from chalicelib.dal.audit import AuditModel
from chalicelib.dal.aws import aws_client, presigned_get
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.outbox import NotificationDedupeModel, NotificationModel, notify_once
from chalicelib.dal.projects import ProjectModel
from chalicelib.ids import new_id

T = TypeVar("T")


class JobRunModel(GongyiModel):
    """One item per (job, period): the claim that makes a duplicated schedule delivery a no-op."""

    table_suffix = "job-runs"

    class Meta:
        table_name = "unbound"

    job = UnicodeAttribute(hash_key=True)  # e.g. feedback_sweep
    period = UnicodeAttribute(range_key=True)  # e.g. 2026-12-01T08 (hourly), 2026-12-01 (daily), 2026-11 (monthly)
    status = UnicodeAttribute()  # running | done | failed (a failed run may be claimed again at once)
    as_of = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    summary = UnicodeAttribute(null=True)  # JSON of the job's counts

    def summary_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.summary)) if self.summary else {}


@dataclass
class ReadMeter:
    """Items examined by the queries of one job run (ScannedCount, so filters cannot hide reads)."""

    items_read: int = 0
    queries: int = 0

    def drain(self, results: Any) -> list[Any]:
        items = list(results)
        self.items_read += results.page_iter.total_scanned_count
        self.queries += 1
        return items

    def stream(self, results: Any) -> Iterator[Any]:
        yield from results
        self.items_read += results.page_iter.total_scanned_count
        self.queries += 1


@dataclass(frozen=True)
class Notice:
    """A notification to store exactly once (see ``dal/outbox.py``)."""

    recipient: str  # f"org#{org_id}" or "platform"
    dedupe_key: str
    kind: str
    message: str
    subject_id: str | None = None


@dataclass(frozen=True)
class Audit:
    """What a job changed, for the audit trail."""

    subject_type: str
    subject_id: str
    from_status: str | None
    to_status: str | None
    reason: str
    job_run: str  # f"{job}@{period}"


@dataclass
class ChangeResult:
    changed: bool
    notified: int = 0
    notes: list[str] = field(default_factory=list)


# -- job runs ----------------------------------------------------------------------------------


def claim_run(job: str, period: str, *, as_of: str, now: str, lease_expired_before: str) -> bool:
    """Claim (job, period). False when it is done, or running under a live lease (a duplicate delivery)."""
    run = JobRunModel(job=job, period=period, status="running", as_of=as_of, claimed_at=now)
    condition = (
        JobRunModel.job.does_not_exist()
        | (JobRunModel.status == "failed")
        | ((JobRunModel.status == "running") & (JobRunModel.claimed_at < lease_expired_before))
    )
    try:
        run.save(condition=condition)
    except PutError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def finish_run(job: str, period: str, *, finished_at: str, summary: dict[str, Any]) -> None:
    run = JobRunModel(job=job, period=period)
    run.update(
        actions=[
            JobRunModel.status.set("done"),
            JobRunModel.finished_at.set(finished_at),
            JobRunModel.summary.set(json.dumps(summary, sort_keys=True)),
        ]
    )


def release_failed_run(job: str, period: str, *, error: str) -> None:
    """Mark a run that raised as failed, so that Lambda's retry (or a person) can run the period again."""
    JobRunModel(job=job, period=period).update(
        actions=[JobRunModel.status.set("failed"), JobRunModel.summary.set(json.dumps({"error": error}))]
    )


def get_run(job: str, period: str) -> JobRunModel | None:
    try:
        return JobRunModel.get(job, period)
    except DoesNotExist:
        return None


# -- what is due (Queries, never Scan) -----------------------------------------------------------


def projects_feedback_due(status: str, due_by: str, meter: ReadMeter) -> list[ProjectModel]:
    """Projects of ``status`` whose next feedback was due at or before ``due_by`` (inclusive)."""
    return meter.drain(ProjectModel.by_status_feedback_due.query(status, ProjectModel.feedback_due_at <= due_by))


def projects_feedback_due_between(status: str, after: str, until: str, meter: ReadMeter) -> list[ProjectModel]:
    """Projects of ``status`` whose next feedback is due in (after, until]."""
    # BETWEEN is inclusive on both ends; the one at exactly ``after`` is already overdue: drop it.
    found = meter.drain(
        ProjectModel.by_status_feedback_due.query(status, ProjectModel.feedback_due_at.between(after, until))
    )
    return [p for p in found if p.feedback_due_at and p.feedback_due_at > after]


def projects_ended_by(status: str, end_by: str, meter: ReadMeter) -> list[ProjectModel]:
    """Projects of ``status`` whose end time is at or before ``end_by``."""
    return meter.drain(ProjectModel.by_status_end.query(status, ProjectModel.end_at <= end_by))


def projects_of_org(org_id: str, meter: ReadMeter) -> list[ProjectModel]:
    return meter.drain(ProjectModel.by_org.query(org_id))


def orgs_with_certificates_expiring_by(last_day: str, meter: ReadMeter, status: str = "approved") -> list[OrgModel]:
    """Charities of ``status`` whose earliest certificate ends on or before ``last_day`` (YYYY-MM-DD)."""
    return meter.drain(OrgModel.by_status_cert_expiry.query(status, OrgModel.cert_expires_on <= last_day))


def count_projects_by_status(statuses: Iterable[str], meter: ReadMeter) -> dict[str, int]:
    """How many projects have each status (Select=COUNT Queries: no item leaves DynamoDB)."""
    counts: dict[str, int] = {}
    for status in statuses:
        count = ProjectModel.by_status_end.count(status)
        counts[status] = count
        meter.items_read += count
        meter.queries += 1
    return counts


def approved_orgs(meter: ReadMeter) -> list[OrgModel]:
    """Every approved charity (the monthly report covers them all)."""
    return meter.drain(OrgModel.by_status_cert_expiry.query("approved"))


def audit_of_month(month: str, meter: ReadMeter) -> list[AuditModel]:
    return meter.drain(AuditModel.by_month.query(month))


# -- state changes -----------------------------------------------------------------------------


def change_project(
    project: ProjectModel,
    *,
    actions: list[Any],
    condition: Condition,
    audit: Audit,
    at: str,
    notices: Iterable[Notice] = (),
) -> ChangeResult:
    """Update ``project`` if ``condition`` holds, with its audit record and notices, in one transaction.

    ``changed`` is False when the condition does not hold (already done, or changed meanwhile).
    A notice whose dedupe guard already exists is skipped; the change still happens.
    """
    notices = list(notices)
    try:
        _transact(project, actions, condition, audit, at, notices)
        return ChangeResult(changed=True, notified=len(notices))
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return ChangeResult(changed=False)
        if not any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons[2:]):
            raise
    # A notification guard already existed: change without them, then notify those still new.
    try:
        _transact(project, actions, condition, audit, at, [])
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return ChangeResult(changed=False)
        raise
    return ChangeResult(changed=True, notified=notify_all(notices))


def _transact(
    project: ProjectModel,
    actions: list[Any],
    condition: Condition,
    audit: Audit,
    at: str,
    notices: list[Notice],
) -> None:
    # The model's own connection: one botocore client per process, not one per transaction.
    with TransactWrite(connection=ProjectModel._get_connection().connection) as tx:
        tx.update(project, actions=actions, condition=condition)
        tx.save(audit_item(audit, at))
        for notice in notices:
            guard, note = _notice_items(notice, at)
            tx.save(guard, condition=NotificationDedupeModel.dedupe_key.does_not_exist())
            tx.save(note)


def audit_item(audit: Audit, at: str) -> AuditModel:
    """The audit record of a job's change, dated at the run's as-of time (its month is Shanghai's)."""
    moment = parse_iso(at)
    return AuditModel(
        subject_id=audit.subject_id,
        at_id=f"{at}#{new_id()}",
        subject_type=audit.subject_type,
        action="status_change",
        from_status=audit.from_status,
        to_status=audit.to_status,
        reason=audit.reason,
        actor=f"job:{audit.job_run.split('@', 1)[0]}",
        job_run=audit.job_run,
        month=moment.astimezone(SHANGHAI).strftime("%Y-%m"),
    )


def _notice_items(notice: Notice, at: str) -> tuple[NotificationDedupeModel, NotificationModel]:
    # Same shape as outbox.notify_once, so notify_once and a job's transaction share one dedupe space.
    guard = NotificationDedupeModel(dedupe_key=f"{notice.recipient}|{notice.dedupe_key}", recipient=notice.recipient)
    note = NotificationModel(
        recipient=notice.recipient,
        sort_key=f"{at}#{notice.dedupe_key}",
        dedupe_key=notice.dedupe_key,
        kind=notice.kind,
        subject_id=notice.subject_id,
        message=notice.message,
        created_at=at,
    )
    return guard, note


def notify_all(notices: Iterable[Notice]) -> int:
    """Store each notice unless already stored; returns how many were new."""
    return sum(
        notify_once(
            recipient=n.recipient, dedupe_key=n.dedupe_key, kind=n.kind, message=n.message, subject_id=n.subject_id
        )
        for n in notices
    )


def mark_delivered(recipient: str, sort_key: str, *, delivered_at: str) -> bool:
    """Record the outbox delivery of one notification; False if it was delivered already."""
    note = NotificationModel(recipient=recipient, sort_key=sort_key)
    try:
        note.update(
            actions=[NotificationModel.delivered_at.set(delivered_at)],
            condition=NotificationModel.sort_key.exists() & NotificationModel.delivered_at.does_not_exist(),
        )
    except Exception as exc:  # UpdateError: already delivered (or gone)
        if _condition_failed(exc):
            return False
        raise
    return True


def _condition_failed(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException" or "ConditionalCheckFailed" in str(exc)


# -- the monthly report in S3 ------------------------------------------------------------------

REPORT_CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def report_key(month: str, fmt: str) -> str:
    return f"self-check/{month}/self-check-{month}.{fmt}"


def put_report_files(settings: Settings, month: str, files: dict[str, bytes]) -> dict[str, str]:
    """Store the report's files (overwriting: the same month always has the same keys). Returns the keys."""
    s3 = aws_client(settings, "s3")
    keys = {}
    for fmt, body in files.items():
        key = report_key(month, fmt)
        s3.put_object(Bucket=settings.reports_bucket, Key=key, Body=body, ContentType=REPORT_CONTENT_TYPES[fmt])
        keys[fmt] = key
    return keys


def get_report_json(settings: Settings, month: str) -> dict[str, Any] | None:
    s3 = aws_client(settings, "s3")
    try:
        obj = s3.get_object(Bucket=settings.reports_bucket, Key=report_key(month, "json"))
    except s3.exceptions.NoSuchKey:
        return None
    return dict(json.loads(obj["Body"].read()))


def report_links(settings: Settings, month: str, *, expires_in: int = 900) -> dict[str, str]:
    return {
        fmt: presigned_get(settings, settings.reports_bucket, report_key(month, fmt), expires_in=expires_in)
        for fmt in REPORT_CONTENT_TYPES
    }


def publish_notification(settings: Settings, *, recipient: str, kind: str, message: str, dedupe_key: str) -> None:
    """Publish one notification to the stage's SNS topic (subscribers filter on ``recipient``/``kind``)."""
    sns = aws_client(settings, "sns")
    sns.publish(
        TopicArn=settings.notifications_topic_arn,
        Message=message,
        MessageAttributes={
            "recipient": {"DataType": "String", "StringValue": recipient},
            "kind": {"DataType": "String", "StringValue": kind},
            "dedupe_key": {"DataType": "String", "StringValue": dedupe_key},
        },
    )


# -- the month's records for the report (models owned by projects/orgs and donations) ---------------


def feedback_of_month(month: str, meter: ReadMeter) -> list[Any]:
    """Feedback entries posted in ``month`` (Shanghai): project_id, org_id, posted_at, on_time."""
    from chalicelib.dal.feedback import FeedbackModel

    return meter.drain(FeedbackModel.by_month.query(month))


def complaints_of_month(month: str, meter: ReadMeter) -> list[Any]:
    """Complaints received in ``month`` (Shanghai): created_at, due_at, responded_at, answered_on_time."""
    from chalicelib.dal.complaints import ComplaintModel

    return meter.drain(ComplaintModel.by_month.query(month))


def paid_donations_of_month(month: str, shards: int, meter: ReadMeter) -> list[Any]:
    """Donations paid in ``month`` (Shanghai), merged from the ``by_paid_month`` shards ``YYYY-MM#0..shards-1``."""
    from chalicelib.dal.donations import DonationModel

    found: list[Any] = []
    for shard in range(shards):
        found += [d for d in meter.drain(DonationModel.by_paid_month.query(f"{month}#{shard}")) if d.status == "paid"]
    return found
