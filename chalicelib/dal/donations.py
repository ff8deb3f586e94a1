"""Donations: one item per donation.

Per-project lists go through a GSI whose hash key is sharded
(``project_id#shard``) so that no partition receives every donation of a
viral project (DESIGN.md, throughput rules). Lists merge the shards.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.clock import SHANGHAI
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed


class DonationsByProjectShard(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_project_shard"
        projection = AllProjection()

    project_shard = UnicodeAttribute(hash_key=True)  # f"{project_id}#{shard}"
    created_at = UnicodeAttribute(range_key=True)


class DonationsByDonor(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """A signed-in donor's donations (GET /me/donations)."""

    class Meta:
        index_name = "by_donor"
        projection = AllProjection()

    donor_sub = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DonationsByPhone(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Look-ups by mobile number: keyed on a keyed hash of the number, never the number."""

    class Meta:
        index_name = "by_phone"
        projection = KeysOnlyProjection()

    phone_hash = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DonationsByPaidMonth(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Paid donations of one calendar month (Asia/Shanghai). Every paid gift on the platform
    writes this index, so its key is spread over ``PAID_MONTH_SHARDS`` partition keys
    ``f"{YYYY-MM}#{n}"`` by a hash of the donation id (not the project's counter shard:
    most projects have 10, which capped the platform near 10,000 gifts/s); the monthly
    compliance report queries every shard."""

    class Meta:
        index_name = "by_paid_month"
        projection = AllProjection()

    paid_month_shard = UnicodeAttribute(hash_key=True)
    paid_at = UnicodeAttribute(range_key=True)


class DonationsByPendingDeadline(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Pending donations by deadline, for the payment sweeper (issue 14). Sparse: only pending
    donations carry ``pending_slot`` (paid/expired ones drop it); sharded over ``PENDING_SLOTS``
    keys so that a surge of new donations spreads over partitions."""

    class Meta:
        index_name = "by_pending_deadline"
        projection = AllProjection()

    pending_slot = UnicodeAttribute(hash_key=True)  # f"pending#{n}", n < PENDING_SLOTS
    pay_by = UnicodeAttribute(range_key=True)


PENDING_SLOTS = 16


# At 50,000 paid gifts/s a key receives ~390 writes/s (DynamoDB allows 1,000 per partition key;
# a donation item is under 1 KB): 2.5x headroom for the hash's unevenness and for refunds.
PAID_MONTH_SHARDS = 128


def paid_month_shard_of(donation_id: str) -> int:
    digest = hashlib.blake2b(donation_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % PAID_MONTH_SHARDS


class DonationModel(GongyiModel):
    table_suffix = "donations"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    donation_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    org_id = UnicodeAttribute()  # the charity that raised it (receipts are numbered per charity)
    shard = NumberAttribute()
    project_shard = UnicodeAttribute()
    amount_fen = NumberAttribute()
    donor_name = UnicodeAttribute(null=True)
    donor_phone = UnicodeAttribute(null=True)  # private; masked on every public read
    phone_hash = UnicodeAttribute(null=True)
    donor_sub = UnicodeAttribute(null=True)
    anonymous = BooleanAttribute(default=False)
    message = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()  # wechat | alipay | sandbox | import
    status = UnicodeAttribute()  # pending | paid | refunded | expired
    provider_txn_id = UnicodeAttribute(null=True)
    external_ref = UnicodeAttribute(null=True)  # imports: bank serial / order number
    idempotency_key = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    paid_at = UnicodeAttribute(null=True)
    refunded_at = UnicodeAttribute(null=True)
    # Set only while pending: DynamoDB deletes never-paid donations; paid ones drop the attribute.
    expires_at = TTLAttribute(null=True)
    pay_by = UnicodeAttribute(null=True)
    # Who counts as one donor for the distinct-donor total: "sub:<sub>", "phone:<hash>";
    # absent for anonymous donations without a phone (each counts as its own donor).
    donor_key = UnicodeAttribute(null=True)
    paid_month_shard = UnicodeAttribute(null=True)  # f"{YYYY-MM of paid_at in Shanghai}#{paid_month_shard_of(id)}"
    refund_reason = UnicodeAttribute(null=True)
    refunded_by = UnicodeAttribute(null=True)
    # Imports (issue 8): where an imported donation came from.
    import_id = UnicodeAttribute(null=True)
    import_row = NumberAttribute(null=True)
    imported_at = UnicodeAttribute(null=True)
    source_channel = UnicodeAttribute(null=True)  # bank transfer, offline event, partner platform...
    team_id = UnicodeAttribute(null=True)  # 一起捐: the team the gift was made through (issue 16)

    by_project_shard = DonationsByProjectShard()
    by_donor = DonationsByDonor()
    by_phone = DonationsByPhone()
    by_paid_month = DonationsByPaidMonth()
    # Payments (issue 14): how the frontend pays (jsapi, native, h5, page, wap, app) and the
    # sweeper's index slot while pending.
    pay_with = UnicodeAttribute(null=True)
    pending_slot = UnicodeAttribute(null=True)
    by_pending_deadline = DonationsByPendingDeadline()

    @staticmethod
    def project_shard_key(project_id: str, shard: int) -> str:
        return f"{project_id}#{shard}"

    @staticmethod
    def pending_slot_key(slot: int) -> str:
        return f"pending#{slot}"

    @staticmethod
    def paid_month_shard_key(paid_at: datetime, donation_id: str) -> str:
        return f"{paid_at.astimezone(SHANGHAI):%Y-%m}#{paid_month_shard_of(donation_id)}"


# -- reads and the creating write ------------------------------------------------------------


class DonationExists(Exception):
    """A donation with this id is already stored (the create was retried)."""


def save_new_donation(donation: DonationModel) -> None:
    """Store a new (pending) donation; never overwrites one."""
    try:
        donation.save(condition=DonationModel.donation_id.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            raise DonationExists(donation.donation_id) from exc
        raise


def find_donation(donation_id: str, *, consistent: bool = True) -> DonationModel | None:
    try:
        return DonationModel.get(donation_id, consistent_read=consistent)
    except DonationModel.DoesNotExist:
        return None


def pending_due(before: str, *, limit: int = 500) -> list[DonationModel]:
    """Pending donations whose ``pay_by`` is at or before ``before`` (ISO), every slot of
    ``by_pending_deadline``: the sweeper's work list, nothing else is read."""
    found: list[DonationModel] = []
    for slot in range(PENDING_SLOTS):
        found += list(
            DonationModel.by_pending_deadline.query(
                DonationModel.pending_slot_key(slot), DonationModel.pay_by <= before, limit=limit
            )
        )
    return sorted(found, key=lambda d: d.pay_by or "")


class DonationNotPending(Exception):
    """The donation is no longer pending (paid, or already expired)."""


def mark_expired(donation_id: str) -> None:
    """pending -> expired, out of the sweeper's index (after the provider closed the order)."""
    from pynamodb.exceptions import UpdateError  # noqa: PLC0415

    try:
        DonationModel(donation_id=donation_id).update(
            actions=[DonationModel.status.set("expired"), DonationModel.pending_slot.remove()],
            condition=DonationModel.status == "pending",
        )
    except UpdateError as exc:
        if condition_failed(exc):
            raise DonationNotPending(donation_id) from exc
        raise


def paid_donations_page(
    project_id: str, shards: int, *, limit: int, before: tuple[str, str] | None
) -> list[DonationModel]:
    """Up to ``limit`` paid donations of a project, newest first, strictly older than
    ``before`` = (created_at, donation_id). Queries every shard of ``by_project_shard``
    (each from its newest item down) and merges them."""
    merged: list[DonationModel] = []
    for shard in range(shards):
        range_condition = DonationModel.created_at <= before[0] if before else None
        items = DonationModel.by_project_shard.query(
            DonationModel.project_shard_key(project_id, shard),
            range_condition,
            filter_condition=DonationModel.status == "paid",
            scan_index_forward=False,
            limit=limit + 1,
        )
        for item in items:
            if before and (item.created_at, item.donation_id) >= before:
                continue
            merged.append(item)
    merged.sort(key=lambda d: (d.created_at, d.donation_id), reverse=True)
    return merged[:limit]


def donations_of_donor(donor_sub: str, *, limit: int, before: str | None) -> list[DonationModel]:
    """A signed-in donor's donations, newest first (one partition per donor)."""
    range_condition = DonationModel.created_at < before if before else None
    return list(DonationModel.by_donor.query(donor_sub, range_condition, scan_index_forward=False, limit=limit))


def donations_by_phone_hash(phone_hash: str, *, limit: int = 200) -> list[DonationModel]:
    """The donations recorded with this phone hash, newest first (keys-only index, then one batch read)."""
    ids = [d.donation_id for d in DonationModel.by_phone.query(phone_hash, limit=limit)]
    if not ids:
        return []
    found = {d.donation_id: d for d in DonationModel.batch_get(list(dict.fromkeys(ids)))}
    return sorted(found.values(), key=lambda d: d.created_at, reverse=True)


def donations_by_id(ids: list[str]) -> dict[str, DonationModel]:
    """The donations that exist among ``ids`` (strongly consistent batch reads, 100 a call)."""
    if not ids:
        return {}
    return {d.donation_id: d for d in DonationModel.batch_get(list(dict.fromkeys(ids)), consistent_read=True)}
