"""Match pools: creation (pool, funded budget shards, target index in one transaction),
reads, status and extension, and moving budget between shards (never below zero)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.conditions import condition_failed, transaction_conflict
from chalicelib.dal.matching.models import OPEN, MatchBudgetModel, MatchPoolModel, MatchTargetModel
from chalicelib.dal.transactions import connection_for


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
    pool.open_flag = OPEN if pool.status == OPEN else None
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
    # Keyed ids (Idempotency-Key) are not time-ordered: order by creation time.
    return sorted(MatchPoolModel.batch_get(ids), key=lambda p: (p.created_at, p.pool_id)) if ids else []


def open_pools() -> Iterator[MatchPoolModel]:
    """Every open pool, page by page (one Query on the sparse ``by_open`` index, never a Scan)."""
    yield from MatchPoolModel.by_open.query(OPEN)


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
        flag = MatchPoolModel.open_flag.set(OPEN) if status == OPEN else MatchPoolModel.open_flag.remove()
        MatchPoolModel(pool_id=pool_id).update(
            actions=[MatchPoolModel.status.set(status), MatchPoolModel.updated_at.set(updated_at), flag],
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
        # An open pool saved before the sparse index existed joins it here.
        actions: list[Any] = [MatchPoolModel.updated_at.set(updated_at), MatchPoolModel.open_flag.set(OPEN)]
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
