"""The tables of 配捐 matching: pools, budget shards, match entries, cap counters, project
match totals and the pool-target index (see ``chalicelib.dal.matching``)."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel

OPEN = "open"


class OpenPools(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Sparse: only open pools carry ``open_flag``, so the rebalancer reads the open pools
    with one Query, whatever the number of closed ones."""

    class Meta:
        index_name = "by_open"
        projection = AllProjection()

    open_flag = UnicodeAttribute(hash_key=True)
    pool_id = UnicodeAttribute(range_key=True)


class MatchPoolModel(GongyiModel):
    table_suffix = "match-pools"

    class Meta:
        table_name = "unbound"

    pool_id = UnicodeAttribute(hash_key=True)
    funder = UnicodeAttribute()
    enterprise_id = UnicodeAttribute(null=True)  # an enterprise's own pool: matches only its members
    budget_fen = NumberAttribute()  # everything ever put in (creation + extensions)
    ratio_num = NumberAttribute()
    ratio_den = NumberAttribute()
    gift_cap_fen = NumberAttribute()
    donor_day_cap_fen = NumberAttribute(null=True)
    project_cap_fen = NumberAttribute(null=True)
    project_ids = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    campaign_ids = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    windows = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # "start/end" UTC ISO
    status = UnicodeAttribute()  # open | closed
    open_flag = UnicodeAttribute(null=True)  # OPEN while open, absent once closed (the sparse index)
    budget_shards = NumberAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    request_digest = UnicodeAttribute(null=True)  # of the creating request (Idempotency-Key retries)

    by_open = OpenPools()


class MatchBudgetModel(GongyiModel):
    """One budget shard of a pool."""

    table_suffix = "match-budget"

    class Meta:
        table_name = "unbound"

    shard_key = UnicodeAttribute(hash_key=True)  # f"{pool_id}#{shard}"
    pool_id = UnicodeAttribute()
    shard = NumberAttribute()
    left_fen = NumberAttribute(default=0)
    matched_fen = NumberAttribute(default=0)
    match_count = NumberAttribute(default=0)

    @staticmethod
    def key(pool_id: str, shard: int) -> str:
        return f"{pool_id}#{int(shard)}"


class MatchModel(GongyiModel):
    """The match of one gift (or a ``void`` tombstone for a gift refunded before it was matched)."""

    table_suffix = "matches"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    donation_id = UnicodeAttribute(hash_key=True)
    pool_id = UnicodeAttribute(null=True)
    shard = NumberAttribute(null=True)  # budget (and project-cap) shard
    project_id = UnicodeAttribute()
    totals_shard = NumberAttribute()
    donor_cap_key = UnicodeAttribute(null=True)
    project_cap_key = UnicodeAttribute(null=True)
    gift_fen = NumberAttribute()
    amount_fen = NumberAttribute()
    status = UnicodeAttribute()  # matched | returned | void
    matched_at = UnicodeAttribute()
    returned_at = UnicodeAttribute(null=True)


class MatchCapModel(GongyiModel):
    """What is left of a cap: per donor and day (``donor#pool#day#donor``) or one shard of a
    per-project cap (``project#pool#project#shard``). Created by the first match that uses it."""

    table_suffix = "match-caps"

    class Meta:
        table_name = "unbound"

    cap_key = UnicodeAttribute(hash_key=True)
    left_fen = NumberAttribute()

    @staticmethod
    def donor_key(pool_id: str, day: str, donor: str) -> str:
        return f"donor#{pool_id}#{day}#{donor}"

    @staticmethod
    def project_key(pool_id: str, project_id: str, shard: int) -> str:
        return f"project#{pool_id}#{project_id}#{int(shard)}"


class MatchTotalsModel(GongyiModel):
    """Matched money per project, sharded like the project counters (``project_id#shard``)."""

    table_suffix = "match-totals"

    class Meta:
        table_name = "unbound"

    counter_key = UnicodeAttribute(hash_key=True)
    matched_fen = NumberAttribute(default=0)
    match_count = NumberAttribute(default=0)

    @staticmethod
    def key(project_id: str, shard: int) -> str:
        return f"{project_id}#{int(shard)}"


class MatchTargetModel(GongyiModel):
    """Which pools match a project or campaign (``project:<id>`` / ``campaign:<id>``): one Query."""

    table_suffix = "match-targets"

    class Meta:
        table_name = "unbound"

    target = UnicodeAttribute(hash_key=True)
    pool_id = UnicodeAttribute(range_key=True)
