"""A job's state change: ONE transaction of the conditional update, its audit record and its notices.

The update's condition (``status = online AND feedback_due_at <= as_of`` ...)
makes a repeated run change nothing; a crash leaves either all of it or none.
The table owners name the changes (``dal.projects.take_offline``, ``mark_ended``)
and run them through ``change_item``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.dal.audit import AuditModel, status_change_item
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import cancellation_codes, item_condition_failed
from chalicelib.dal.outbox import Notice, NotificationDedupeModel, notice_items, notify_all
from chalicelib.dal.transactions import connection_for


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


def change_item(
    item: GongyiModel,
    *,
    actions: list[Any],
    condition: Condition,
    audit: Audit,
    at: str,
    notices: Iterable[Notice] = (),
) -> ChangeResult:
    """Update ``item`` if ``condition`` holds, with its audit record and notices, in one transaction.

    ``changed`` is False when the condition does not hold (already done, or changed meanwhile).
    A notice whose dedupe guard already exists is skipped; the change still happens.
    """
    notices = list(notices)
    try:
        _transact(item, actions, condition, audit, at, notices)
        return ChangeResult(changed=True, notified=len(notices))
    except TransactWriteError as exc:
        if item_condition_failed(exc, 0):
            return ChangeResult(changed=False)
        # Items 0 and 1 are the update and the audit record; from 2 on, notification guards.
        if not any(item_condition_failed(exc, i) for i in range(2, len(cancellation_codes(exc)))):
            raise
    # A notification guard already existed: change without them, then notify those still new.
    try:
        _transact(item, actions, condition, audit, at, [])
    except TransactWriteError as exc:
        if item_condition_failed(exc, 0):
            return ChangeResult(changed=False)
        raise
    return ChangeResult(changed=True, notified=notify_all(notices))


def _transact(
    item: GongyiModel,
    actions: list[Any],
    condition: Condition,
    audit: Audit,
    at: str,
    notices: list[Notice],
) -> None:
    with TransactWrite(connection=connection_for(type(item))) as tx:
        tx.update(item, actions=actions, condition=condition)
        tx.save(audit_item(audit, at))
        for notice in notices:
            guard, note = notice_items(notice, at)
            tx.save(guard, condition=NotificationDedupeModel.dedupe_key.does_not_exist())
            tx.save(note)


def audit_item(audit: Audit, at: str) -> AuditModel:
    """The audit record of a job's change, dated at the run's as-of time (its month is Shanghai's)."""
    return status_change_item(
        subject_type=audit.subject_type,
        subject_id=audit.subject_id,
        from_status=audit.from_status,
        to_status=audit.to_status,
        reason=audit.reason,
        actor=f"job:{audit.job_run.split('@', 1)[0]}",
        job_run=audit.job_run,
        at=at,
    )
