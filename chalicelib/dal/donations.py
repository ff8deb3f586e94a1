"""Donations: one item per donation.

Per-project lists go through a GSI whose hash key is sharded
(``project_id#shard``) so that no partition receives every donation of a
viral project (DESIGN.md, throughput rules). Lists merge the shards.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.dal.base import GongyiModel


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

    by_project_shard = DonationsByProjectShard()
    by_donor = DonationsByDonor()
    by_phone = DonationsByPhone()
