"""Notification outbox: what the platform tells a charity or its admins.

Stored first, delivered later (SNS in dev/prod): this table is where an
email/SMS sender plugs in. ``dedupe_key`` makes a notification exactly-once:
a job that runs twice for the same reason notifies nobody twice.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.base import GongyiModel


class NotificationModel(GongyiModel):
    table_suffix = "notifications"

    class Meta:
        table_name = "unbound"
        # The outbox deliverer (compliance) reads new notifications from the stream.
        stream_view_type = "NEW_IMAGE"

    recipient = UnicodeAttribute(hash_key=True)  # f"org#{org_id}" or "platform"
    sort_key = UnicodeAttribute(range_key=True)  # f"{created_at}#{dedupe_key}"
    dedupe_key = UnicodeAttribute()
    kind = UnicodeAttribute()  # e.g. feedback_overdue, feedback_reminder, certificate_expiring
    subject_id = UnicodeAttribute(null=True)
    message = UnicodeAttribute()
    created_at = UnicodeAttribute()
    delivered_at = UnicodeAttribute(null=True)


class NotificationDedupeModel(GongyiModel):
    """One item per dedupe key: the conditional put that makes notifying idempotent."""

    table_suffix = "notification-keys"

    class Meta:
        table_name = "unbound"

    dedupe_key = UnicodeAttribute(hash_key=True)
    recipient = UnicodeAttribute()


def notify_once(*, recipient: str, dedupe_key: str, kind: str, message: str, subject_id: str | None = None) -> bool:
    """Store a notification unless one with ``dedupe_key`` exists. True if stored now."""
    from pynamodb.transactions import TransactWrite  # noqa: PLC0415

    now = to_iso(utcnow())
    guard = NotificationDedupeModel(dedupe_key=f"{recipient}|{dedupe_key}", recipient=recipient)
    note = NotificationModel(
        recipient=recipient,
        sort_key=f"{now}#{dedupe_key}",
        dedupe_key=dedupe_key,
        kind=kind,
        subject_id=subject_id,
        message=message,
        created_at=now,
    )
    # The model's own connection: one botocore client per process (a new Connection builds one per call).
    connection = NotificationModel._get_connection().connection
    try:
        with TransactWrite(connection=connection) as tx:
            tx.save(guard, condition=NotificationDedupeModel.dedupe_key.does_not_exist())
            tx.save(note)
    except Exception as exc:  # TransactWriteError: the guard exists -> already notified
        reasons = getattr(exc, "cancellation_reasons", None) or []
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            return False
        if "ConditionalCheckFailed" in str(exc) or isinstance(exc, PutError):
            return False
        raise
    return True


def notifications_for(recipient: str, limit: int = 50) -> list[NotificationModel]:
    return list(NotificationModel.query(recipient, scan_index_forward=False, limit=limit))
