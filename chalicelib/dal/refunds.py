"""Refunds: one item per refund, what was asked of the provider and where it stands.

Two kinds share the table, told apart by their key:

* a donation's refund (an admin refunds a paid donation): keyed by the donation
  id, ``out_refund_no`` ``RF<donation id>``; its money transaction is
  ``chalicelib.dal.payments.commit_refund``;
* a stray payment's refund (a verified payment that can never count: paid late
  for a donation gongyi gave up on, or a second payment of a paid donation):
  keyed ``<provider>#<transaction id>``, ``out_refund_no`` ``RS<transaction id>``,
  so however often the payment is reported it is refunded once. Totals never
  counted it, so nothing else moves.

A succeeded refund carries ``succeeded_day_shard`` (``by_succeeded_day``): the
daily reconciliation reads one provider's refunds of one Shanghai day from
``REFUND_DAY_SHARDS`` keys, never a Scan and never one hot key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.clock import SHANGHAI, to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed

# Refunds are rare next to payments, but a project taken down refunds in bulk: 16 keys
# per provider and day take ~16,000 writes/s.
REFUND_DAY_SHARDS = 16
DONATION_REFUND_PREFIX = "RF"
STRAY_REFUND_PREFIX = "RS"


class RefundsBySucceededDay(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Succeeded refunds of one provider and Shanghai day, spread over ``REFUND_DAY_SHARDS`` keys."""

    class Meta:
        index_name = "by_succeeded_day"
        projection = AllProjection()

    succeeded_day_shard = UnicodeAttribute(hash_key=True)  # f"{provider}#{YYYY-MM-DD}#{n}"
    succeeded_at = UnicodeAttribute(range_key=True)


class RefundModel(GongyiModel):
    """One refund: what was asked of the provider, by whom, why."""

    table_suffix = "refunds"

    class Meta:
        table_name = "unbound"

    # The donation id (a donation's refund) or f"{provider}#{transaction_id}" (a stray payment's);
    # stored under the table's original key name.
    refund_key = UnicodeAttribute(hash_key=True, attr_name="donation_id")
    refund_id = UnicodeAttribute()  # our out_refund_no / out_request_no
    provider = UnicodeAttribute()
    amount_fen = NumberAttribute()
    reason = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    # requested -> sent -> succeeded | failed (the refund sender and the refund notification
    # move it; the sandbox refunds at once: succeeded).
    status = UnicodeAttribute()
    provider_request = UnicodeAttribute()  # JSON: the request built for the provider
    created_at = UnicodeAttribute()
    provider_refund_id = UnicodeAttribute(null=True)
    status_detail = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # A stray payment's refund: the order it was paid for and the provider transaction refunded.
    out_trade_no = UnicodeAttribute(null=True)
    transaction_id = UnicodeAttribute(null=True)
    stray_reason = UnicodeAttribute(null=True)  # expired | paid_twice
    succeeded_at = UnicodeAttribute(null=True)
    succeeded_day_shard = UnicodeAttribute(null=True)

    by_succeeded_day = RefundsBySucceededDay()

    @property
    def donation_id(self) -> str:
        """The order (donation) the refunded payment was made for."""
        return self.out_trade_no or self.refund_key

    @staticmethod
    def stray_key(provider: str, transaction_id: str) -> str:
        return f"{provider}#{transaction_id}"

    @staticmethod
    def key_of_refund_id(provider: str, refund_id: str) -> str:
        """The item key behind one of our out_refund_nos (as notifications and bills give it back)."""
        if refund_id.startswith(STRAY_REFUND_PREFIX):
            return RefundModel.stray_key(provider, refund_id[len(STRAY_REFUND_PREFIX) :])
        return refund_id.removeprefix(DONATION_REFUND_PREFIX)

    @staticmethod
    def succeeded_day_shard_key(provider: str, succeeded_at: datetime, refund_key: str) -> str:
        digest = hashlib.blake2b(refund_key.encode(), digest_size=4).digest()
        shard = int.from_bytes(digest, "big") % REFUND_DAY_SHARDS
        return f"{provider}#{succeeded_at.astimezone(SHANGHAI):%Y-%m-%d}#{shard}"

    def mark_succeeded_at(self, at: datetime) -> None:
        """For a refund stored already succeeded (the sandbox's)."""
        self.succeeded_at = to_iso(at)
        self.succeeded_day_shard = self.succeeded_day_shard_key(self.provider, at, self.refund_key)


def find_refund(refund_key: str) -> RefundModel | None:
    try:
        return RefundModel.get(refund_key, consistent_read=True)
    except RefundModel.DoesNotExist:
        return None


def save_new_refund(refund: RefundModel) -> bool:
    """Store a refund unless one with its key exists; True when stored now."""
    try:
        refund.save(condition=RefundModel.refund_key.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


REFUND_NEXT = {"sent": ("requested",), "succeeded": ("requested", "sent"), "failed": ("requested", "sent")}


def advance_refund(
    refund_key: str,
    to_status: str,
    *,
    provider: str = "",
    provider_refund_id: str = "",
    detail: str = "",
    succeeded_at: datetime | None = None,
) -> bool:
    """Move a refund forward (``REFUND_NEXT``); False when it is already there or past it
    (a replayed message or notification changes nothing). A succeeded refund is filed under
    ``provider`` and the day of ``succeeded_at`` (the provider's time; default now) in
    ``by_succeeded_day``."""
    now = utcnow()
    actions: list[Action] = [RefundModel.status.set(to_status), RefundModel.updated_at.set(to_iso(now))]
    if provider_refund_id:
        actions.append(RefundModel.provider_refund_id.set(provider_refund_id))
    if detail:
        actions.append(RefundModel.status_detail.set(detail[:500]))
    if to_status == "succeeded" and provider:
        at = succeeded_at or now
        actions.append(RefundModel.succeeded_at.set(to_iso(at)))
        actions.append(
            RefundModel.succeeded_day_shard.set(RefundModel.succeeded_day_shard_key(provider, at, refund_key))
        )
    try:
        RefundModel(refund_key=refund_key).update(
            actions=actions, condition=RefundModel.status.is_in(*REFUND_NEXT[to_status])
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def refunds_succeeded_on(provider: str, day: str) -> list[RefundModel]:
    """``provider``'s refunds that succeeded on ``day`` (YYYY-MM-DD, Asia/Shanghai): a Query per shard."""
    found: list[RefundModel] = []
    for shard in range(REFUND_DAY_SHARDS):
        found += list(RefundModel.by_succeeded_day.query(f"{provider}#{day}#{shard}"))
    return sorted(found, key=lambda r: (r.succeeded_at or "", r.refund_key))


def enqueue_refund(settings: Settings, refund_key: str) -> None:
    """Ask the refund sender to send this refund (``refunds`` queue)."""
    from chalicelib.dal.aws import aws_client, queue_url  # noqa: PLC0415

    aws_client(settings, "sqs").send_message(
        QueueUrl=queue_url(settings, "refunds"), MessageBody=json.dumps({"refund_key": refund_key})
    )
