"""Notification outbox: what the platform tells a charity or its admins.

Stored first, delivered later (SNS in dev/prod): this table is where an
email/SMS sender plugs in. ``dedupe_key`` makes a notification exactly-once:
a job that runs twice for the same reason notifies nobody twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.transactions import connection_for


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


@dataclass(frozen=True)
class Notice:
    """A notification to store exactly once."""

    recipient: str  # f"org#{org_id}" or "platform"
    dedupe_key: str
    kind: str
    message: str
    subject_id: str | None = None


def notice_items(notice: Notice, at: str) -> tuple[NotificationDedupeModel, NotificationModel]:
    """The dedupe guard and the notification of ``notice``, created ``at``: one dedupe space for every writer."""
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


def notify_once(*, recipient: str, dedupe_key: str, kind: str, message: str, subject_id: str | None = None) -> bool:
    """Store a notification unless one with ``dedupe_key`` exists. True if stored now."""
    notice = Notice(recipient=recipient, dedupe_key=dedupe_key, kind=kind, message=message, subject_id=subject_id)
    guard, note = notice_items(notice, to_iso(utcnow()))
    try:
        with TransactWrite(connection=connection_for(NotificationModel)) as tx:
            tx.save(guard, condition=NotificationDedupeModel.dedupe_key.does_not_exist())
            tx.save(note)
    except TransactWriteError as exc:
        if condition_failed(exc):  # the guard exists: already notified
            return False
        raise
    return True


def notify_all(notices: Iterable[Notice]) -> int:
    """Store each notice unless already stored; returns how many were new."""
    return sum(
        notify_once(
            recipient=n.recipient, dedupe_key=n.dedupe_key, kind=n.kind, message=n.message, subject_id=n.subject_id
        )
        for n in notices
    )


def mark_delivered(recipient: str, sort_key: str, *, delivered_at: str) -> bool:
    """Record the outbox delivery of one notification; False if it was delivered already (or is gone)."""
    note = NotificationModel(recipient=recipient, sort_key=sort_key)
    try:
        note.update(
            actions=[NotificationModel.delivered_at.set(delivered_at)],
            condition=NotificationModel.sort_key.exists() & NotificationModel.delivered_at.does_not_exist(),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def notifications_for(recipient: str, limit: int = 50) -> list[NotificationModel]:
    return list(NotificationModel.query(recipient, scan_index_forward=False, limit=limit))


def notifications_page(recipient: str, *, limit: int, before: str | None) -> list[NotificationModel]:
    """Up to ``limit`` notifications of ``recipient``, newest first, older than sort key ``before``."""
    condition = NotificationModel.sort_key < before if before else None
    return list(NotificationModel.query(recipient, condition, scan_index_forward=False, limit=limit))
