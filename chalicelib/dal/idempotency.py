"""Idempotency claims for client POSTs that create things (``Idempotency-Key``).

One item per request key, in the layout Powertools Idempotency uses (``id``,
``expiration`` epoch s, ``in_progress_expiration`` epoch ms, ``status``
INPROGRESS | COMPLETED, ``data`` the JSON answer, ``validation`` a hash of the
payload) and with the same rules: a claim is taken with one conditional
``PutItem`` (absent, expired, or an in-progress claim whose Lambda timed out),
and completed in the SAME ``TransactWriteItems`` that stores what the request
creates. Powertools writes the claim and the answer separately (``PutItem`` +
``UpdateItem``): the creating write in between made giving cost three requests;
here it costs two (issue 14: <= 4 per donation, create + confirm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.transactions import connection_for

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"


class IdempotencyRecordModel(GongyiModel):
    table_suffix = "idempotency"

    class Meta:
        table_name = "unbound"

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    in_progress_expiration = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)
    validation = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Claimed:
    """What claiming a request key found: ``None`` record means the claim is ours now."""

    record: IdempotencyRecordModel | None

    @property
    def ours(self) -> bool:
        return self.record is None


def claim(
    record_id: str, validation: str, *, now: datetime, keep_for: timedelta, in_progress_until_ms: int | None
) -> Claimed:
    """Take the claim on ``record_id`` (one conditional PutItem), or return the record that holds it."""
    record = IdempotencyRecordModel(
        id=record_id,
        status=IN_PROGRESS,
        expiration=now + keep_for,
        validation=validation,
        in_progress_expiration=in_progress_until_ms,
    )
    free = (
        IdempotencyRecordModel.id.does_not_exist()
        | (IdempotencyRecordModel.expiration < now)
        | (
            (IdempotencyRecordModel.status == IN_PROGRESS)
            & (IdempotencyRecordModel.in_progress_expiration < int(now.timestamp() * 1000))
        )
    )
    try:
        record.save(condition=free)
    except PutError as exc:
        if not condition_failed(exc):
            raise
        try:
            return Claimed(IdempotencyRecordModel.get(record_id, consistent_read=True))
        except IdempotencyRecordModel.DoesNotExist:  # released meanwhile: try once more
            return claim(record_id, validation, now=now, keep_for=keep_for, in_progress_until_ms=in_progress_until_ms)
    return Claimed(None)


def release(record_id: str) -> None:
    """Give the claim up (the request failed: a retry may try again)."""
    IdempotencyRecordModel(id=record_id).delete()


class ClaimLost(Exception):
    """The claim was no longer ours when completing it, or the created item already existed."""


def complete_with(record_id: str, answer: str, created: GongyiModel) -> None:
    """Store ``created`` (must not exist yet) and the answer of the claim, in ONE transaction."""
    try:
        with TransactWrite(connection=connection_for(type(created))) as tx:
            hash_key = type(created)._hash_key_attribute()
            tx.save(created, condition=hash_key.does_not_exist())
            tx.update(
                IdempotencyRecordModel(id=record_id),
                actions=[IdempotencyRecordModel.status.set(COMPLETED), IdempotencyRecordModel.data.set(answer)],
                condition=IdempotencyRecordModel.status == IN_PROGRESS,
            )
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise ClaimLost(record_id) from exc
        raise
