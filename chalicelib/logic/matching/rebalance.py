"""The scheduled rebalancing step: keep every open pool's budget (and each named project's
cap) spread over its shards, so a gift rarely finds its shard dry.

Matching draws from one random shard per gift; over a surge some shards run dry before
others. The on-demand gather in ``reserve`` still matches a gift whose shards are dry (so
matching never stops while any budget is left), but each gather reads every shard and
funnels budget into one of them. This job, run every minute, moves budget from the rich
shards to those below half their fair share. Each move is one conditional transaction
(``left >= amount`` on the source): the sum over the shards never changes and no shard
ever goes below zero, so the pool can never be overspent, whatever matching does at the
same time. A move that loses a race is skipped; the next run sees the new state. A
replayed or concurrent run recomputes from what is stored and is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.dal import matching as store
from chalicelib.dal.matching import CapUse, MatchCapModel, MatchPoolModel

LOW_SHARE = 2  # a shard below 1/LOW_SHARE of its fair share is topped up


def plan_moves(left: list[int]) -> list[tuple[int, int, int]]:
    """Moves ``(source, target, amount)`` that bring every shard back to its fair share of the
    total, or none when no shard is below half its share. Sources only give what they hold
    above their own share, so the moves never take a shard below zero."""
    total = sum(left)
    if total <= 0:
        return []
    fair = store.shard_allowances(total, len(left))
    if all(have * LOW_SHARE >= share for have, share in zip(left, fair, strict=True)):
        return []
    surplus = [[s, have - fair[s]] for s, have in enumerate(left) if have > fair[s]]
    moves: list[tuple[int, int, int]] = []
    for target, have in enumerate(left):
        need = fair[target] - have
        for entry in surplus:
            if need <= 0:
                break
            give = min(need, entry[1])
            if give > 0:
                moves.append((entry[0], target, give))
                entry[1] -= give
                need -= give
    return moves


@dataclass
class Rebalanced:
    pools: int = 0
    moves: int = 0
    moved_fen: int = 0  # budget
    moved_cap_fen: int = 0  # per-project cap
    lost_races: int = 0
    pools_moved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "pools": self.pools,
            "moves": self.moves,
            "moved_fen": self.moved_fen,
            "moved_cap_fen": self.moved_cap_fen,
            "lost_races": self.lost_races,
            "pools_moved": self.pools_moved,
        }


def _rebalance_budget(pool: MatchPoolModel, done: Rebalanced) -> None:
    state = store.budget_state(pool.pool_id, int(pool.budget_shards))
    for source, target, amount in plan_moves(state.shards):
        if store.move_budget(pool.pool_id, source, target, amount):
            done.moves += 1
            done.moved_fen += amount
        else:
            done.lost_races += 1


def _project_caps(pool: MatchPoolModel, project_id: str) -> list[CapUse]:
    shards = int(pool.budget_shards)
    keys = [MatchCapModel.project_key(pool.pool_id, project_id, s) for s in range(shards)]
    left = store.read_caps(keys)
    allowances = store.shard_allowances(int(pool.project_cap_fen or 0), shards)
    return [CapUse(key, left.get(key), allowances[s]) for s, key in enumerate(keys)]


def _rebalance_project_caps(pool: MatchPoolModel, project_id: str, done: Rebalanced) -> None:
    caps = _project_caps(pool, project_id)
    for i, (source, target, amount) in enumerate(plan_moves([c.available for c in caps])):
        # A cap move is conditioned on what was read (or on the item not existing yet): read
        # again before each further move so the previous one is seen.
        if i:
            caps = _project_caps(pool, project_id)
        amount = min(amount, caps[source].available)
        if amount > 0 and store.move_cap(caps[source], caps[target], amount):
            done.moves += 1
            done.moved_cap_fen += amount
        else:
            done.lost_races += 1


def rebalance_open_pools() -> Rebalanced:
    """One pass over the open pools (a Query on the sparse index; the cost grows with the
    open pools, not with the table)."""
    done = Rebalanced()
    for pool in store.open_pools():
        done.pools += 1
        before = done.moves
        _rebalance_budget(pool, done)
        if pool.project_cap_fen is not None:
            for project_id in pool.project_ids or []:
                _rebalance_project_caps(pool, str(project_id), done)
        if done.moves > before:
            done.pools_moved.append(pool.pool_id)
    return done
