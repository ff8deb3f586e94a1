"""配捐 matching pools: the pool, its budget shards, one match entry per gift, cap counters.

No item is written by every matched gift (DESIGN.md, throughput rules):

* the budget is split into ``budget_shards`` items, partition key ``pool_id#shard``;
  a match takes from one shard picked at random and tries another when it is dry;
* the per-project cap is split the same way (``project#pool#project#shard``, the same
  shard index as the budget it is reserved with); the per-donor-per-day cap is one item
  per donor and day (one donor is never a hot key);
* project match totals are sharded like project counters (the donation's own shard).

A match is reserved in ONE transaction: the match entry (``attribute_not_exists`` on
the donation id, so a replay never matches twice), the budget shard (``left_fen >= m``,
so the pool is never overspent), the cap counters (conditioned on what was read) and
the totals shard. Returning a match is the mirror transaction, conditioned on the
entry's state, so it happens once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import cancellation_codes, condition_failed, transaction_conflict
from chalicelib.dal.transactions import connection_for


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
    budget_shards = NumberAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


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


# -- pools ---------------------------------------------------------------------------------


class PoolExists(Exception):
    pass


def shard_allowances(total: int, shards: int) -> list[int]:
    """``total`` split over ``shards``: equal parts, the remainder one fen each to the first shards."""
    base, extra = divmod(int(total), int(shards))
    return [base + (1 if i < extra else 0) for i in range(int(shards))]


def create_pool(pool: MatchPoolModel, targets: Iterable[str]) -> None:
    """The pool, its funded budget shards and its target index, all or nothing."""
    shards = int(pool.budget_shards)
    targets = list(dict.fromkeys(targets))
    if 1 + shards + len(targets) > 100:
        raise ValueError("a pool is created in one transaction: at most 100 items")
    try:
        with TransactWrite(connection=connection_for(MatchPoolModel)) as tx:
            tx.save(pool, condition=MatchPoolModel.pool_id.does_not_exist())
            for shard, left in enumerate(shard_allowances(int(pool.budget_fen), shards)):
                tx.save(
                    MatchBudgetModel(
                        shard_key=MatchBudgetModel.key(pool.pool_id, shard),
                        pool_id=pool.pool_id,
                        shard=shard,
                        left_fen=left,
                        matched_fen=0,
                        match_count=0,
                    ),
                    condition=MatchBudgetModel.shard_key.does_not_exist(),
                )
            for target in targets:
                tx.save(MatchTargetModel(target=target, pool_id=pool.pool_id))
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise PoolExists(pool.pool_id) from exc
        raise


def find_pool(pool_id: str) -> MatchPoolModel | None:
    try:
        return MatchPoolModel.get(pool_id, consistent_read=True)
    except MatchPoolModel.DoesNotExist:
        return None


def pools_for_targets(targets: list[str]) -> list[MatchPoolModel]:
    """The pools matching any of ``targets``, oldest first."""
    ids: list[str] = []
    for target in targets:
        ids.extend(t.pool_id for t in MatchTargetModel.query(target))
    ids = sorted(dict.fromkeys(ids))
    return sorted(MatchPoolModel.batch_get(ids), key=lambda p: p.pool_id) if ids else []


def pools_of_enterprise(enterprise_id: str) -> list[MatchPoolModel]:
    return pools_for_targets([f"enterprise:{enterprise_id}"])


@dataclass(frozen=True)
class BudgetState:
    left_fen: int
    matched_fen: int
    match_count: int
    shards: list[int]  # left per shard


def budget_state(pool_id: str, shards: int) -> BudgetState:
    keys = [MatchBudgetModel.key(pool_id, s) for s in range(shards)]
    left = [0] * shards
    matched = count = 0
    for item in MatchBudgetModel.batch_get(keys, consistent_read=True):
        left[int(item.shard)] = int(item.left_fen or 0)
        matched += int(item.matched_fen or 0)
        count += int(item.match_count or 0)
    return BudgetState(sum(left), matched, count, left)


def set_pool_status(pool_id: str, status: str, updated_at: str, *, expected: str) -> bool:
    try:
        MatchPoolModel(pool_id=pool_id).update(
            actions=[MatchPoolModel.status.set(status), MatchPoolModel.updated_at.set(updated_at)],
            condition=MatchPoolModel.status == expected,
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def extend_pool(pool: MatchPoolModel, *, add_budget_fen: int, windows: list[str], updated_at: str) -> None:
    """More budget (spread over the shards) and/or more windows, in one transaction
    conditioned on the pool still being open."""
    with TransactWrite(connection=connection_for(MatchPoolModel)) as tx:
        actions: list[Any] = [MatchPoolModel.updated_at.set(updated_at)]
        if add_budget_fen:
            actions.append(MatchPoolModel.budget_fen.add(add_budget_fen))
        if windows:
            actions.append(MatchPoolModel.windows.set([str(w) for w in pool.windows or []] + windows))  # type: ignore[arg-type]
        tx.update(MatchPoolModel(pool_id=pool.pool_id), actions=actions, condition=MatchPoolModel.status == "open")
        for shard, more in enumerate(shard_allowances(add_budget_fen, int(pool.budget_shards))):
            if more:
                tx.update(
                    MatchBudgetModel(shard_key=MatchBudgetModel.key(pool.pool_id, shard)),
                    actions=[MatchBudgetModel.left_fen.add(more)],
                    condition=MatchBudgetModel.shard_key.exists(),
                )


# -- reserving and returning a match ---------------------------------------------------------


@dataclass(frozen=True)
class CapUse:
    """A cap counter a match draws on: ``left`` is what was read (None: the item does not exist
    yet and starts at ``allowance``)."""

    cap_key: str
    left: int | None
    allowance: int

    @property
    def available(self) -> int:
        return self.allowance if self.left is None else self.left


def read_caps(keys: list[str]) -> dict[str, int]:
    """``left_fen`` of the cap items that exist (one BatchGetItem)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    return {c.cap_key: int(c.left_fen) for c in MatchCapModel.batch_get(keys, consistent_read=True)}


def _draw(tx: TransactWrite, cap: CapUse, amount: int) -> None:
    item = MatchCapModel(cap_key=cap.cap_key)
    if cap.left is None:
        tx.update(
            item,
            actions=[MatchCapModel.left_fen.set(cap.allowance - amount)],
            condition=MatchCapModel.cap_key.does_not_exist(),
        )
    else:
        # Never below zero; a concurrent draw that left less makes this one re-read and recompute.
        tx.update(item, actions=[MatchCapModel.left_fen.add(-amount)], condition=MatchCapModel.left_fen >= amount)


class Reserve:
    DONE = "done"  # committed
    ALREADY = "already"  # the gift already has a match entry (replay, or voided)
    BUDGET = "budget"  # the budget shard has less than the amount
    CAPS = "caps"  # a cap counter changed since it was read
    CONFLICT = "conflict"  # lost a race with another transaction; retry


def reserve_match(match: MatchModel, *, caps: list[CapUse], donation_shard: int) -> str:
    """Try the reserving transaction; returns one of ``Reserve``'s values."""
    amount = int(match.amount_fen)
    order: list[str] = []
    try:
        with TransactWrite(connection=connection_for(MatchModel)) as tx:
            order.append(Reserve.ALREADY)
            tx.save(match, condition=MatchModel.donation_id.does_not_exist())
            order.append(Reserve.BUDGET)
            tx.update(
                MatchBudgetModel(shard_key=MatchBudgetModel.key(str(match.pool_id), int(match.shard or 0))),
                actions=[
                    MatchBudgetModel.left_fen.add(-amount),
                    MatchBudgetModel.matched_fen.add(amount),
                    MatchBudgetModel.match_count.add(1),
                ],
                condition=MatchBudgetModel.left_fen >= amount,
            )
            for cap in caps:
                order.append(Reserve.CAPS)
                _draw(tx, cap, amount)
            order.append(Reserve.CONFLICT)
            tx.update(
                MatchTotalsModel(counter_key=MatchTotalsModel.key(match.project_id, donation_shard)),
                actions=[MatchTotalsModel.matched_fen.add(amount), MatchTotalsModel.match_count.add(1)],
            )
    except TransactWriteError as exc:
        return _why(exc, order)
    return Reserve.DONE


def _why(exc: TransactWriteError, order: list[str]) -> str:
    codes = cancellation_codes(exc)
    failed = {order[i] for i, code in enumerate(codes) if code == "ConditionalCheckFailed" and i < len(order)}
    for reason in (Reserve.ALREADY, Reserve.BUDGET, Reserve.CAPS):
        if reason in failed:
            return reason
    if transaction_conflict(exc) or not codes:
        return Reserve.CONFLICT
    raise exc


def void_unmatched(donation_id: str, project_id: str, at: str) -> bool:
    """Mark a gift as never to be matched (it was refunded before its match): a later replay
    of its payment finds the entry and matches nothing. False when it already has an entry."""
    try:
        MatchModel(
            donation_id=donation_id,
            project_id=project_id,
            totals_shard=0,
            gift_fen=0,
            amount_fen=0,
            status="void",
            matched_at=at,
        ).save(condition=MatchModel.donation_id.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def find_match(donation_id: str) -> MatchModel | None:
    try:
        return MatchModel.get(donation_id, consistent_read=True)
    except MatchModel.DoesNotExist:
        return None


def return_match(match: MatchModel, at: str) -> bool:
    """matched -> returned: the amount goes back to its budget shard and caps, the totals
    shard goes down. False when the entry is no longer ``matched`` (already returned)."""
    amount = int(match.amount_fen)
    try:
        with TransactWrite(connection=connection_for(MatchModel)) as tx:
            tx.update(
                MatchModel(donation_id=match.donation_id),
                actions=[MatchModel.status.set("returned"), MatchModel.returned_at.set(at)],
                condition=MatchModel.status == "matched",
            )
            tx.update(
                MatchBudgetModel(shard_key=MatchBudgetModel.key(str(match.pool_id), int(match.shard or 0))),
                actions=[
                    MatchBudgetModel.left_fen.add(amount),
                    MatchBudgetModel.matched_fen.add(-amount),
                    MatchBudgetModel.match_count.add(-1),
                ],
            )
            for key in (match.donor_cap_key, match.project_cap_key):
                if key:
                    tx.update(MatchCapModel(cap_key=key), actions=[MatchCapModel.left_fen.add(amount)])
            tx.update(
                MatchTotalsModel(counter_key=MatchTotalsModel.key(match.project_id, int(match.totals_shard))),
                actions=[MatchTotalsModel.matched_fen.add(-amount), MatchTotalsModel.match_count.add(-1)],
            )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


# -- rebalancing -------------------------------------------------------------------------------


def move_budget(pool_id: str, source: int, target: int, amount: int) -> bool:
    """Move ``amount`` from one budget shard to another, never below zero. False when the
    source no longer holds it."""
    try:
        with TransactWrite(connection=connection_for(MatchBudgetModel)) as tx:
            tx.update(
                MatchBudgetModel(shard_key=MatchBudgetModel.key(pool_id, source)),
                actions=[MatchBudgetModel.left_fen.add(-amount)],
                condition=MatchBudgetModel.left_fen >= amount,
            )
            tx.update(
                MatchBudgetModel(shard_key=MatchBudgetModel.key(pool_id, target)),
                actions=[MatchBudgetModel.left_fen.add(amount)],
                condition=MatchBudgetModel.shard_key.exists(),
            )
    except TransactWriteError as exc:
        if condition_failed(exc) or transaction_conflict(exc):
            return False
        raise
    return True


def move_cap(source: CapUse, target: CapUse, amount: int) -> bool:
    """Move ``amount`` of a per-project cap from one shard to another (each conditioned on
    what was read, or on not existing yet)."""
    try:
        with TransactWrite(connection=connection_for(MatchCapModel)) as tx:
            _draw(tx, source, amount)
            _draw(tx, target, -amount)
    except TransactWriteError as exc:
        if condition_failed(exc) or transaction_conflict(exc):
            return False
        raise
    return True


def matched_totals(project_ids: list[str], shards: dict[str, int]) -> dict[str, tuple[int, int]]:
    """(matched fen, matches) per project: the sum of its shards (one BatchGetItem)."""
    keys = [MatchTotalsModel.key(p, s) for p in project_ids for s in range(shards.get(p, 1))]
    found: dict[str, tuple[int, int]] = {p: (0, 0) for p in project_ids}
    for item in MatchTotalsModel.batch_get(keys, consistent_read=True) if keys else []:
        project_id = item.counter_key.rsplit("#", 1)[0]
        fen, count = found[project_id]
        found[project_id] = (fen + int(item.matched_fen or 0), count + int(item.match_count or 0))
    return found
