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

from chalicelib.dal.matching.models import (
    MatchBudgetModel,
    MatchCapModel,
    MatchModel,
    MatchPoolModel,
    MatchTargetModel,
    MatchTotalsModel,
)
from chalicelib.dal.matching.pools import (
    BudgetState,
    PoolExists,
    budget_state,
    create_pool,
    extend_pool,
    find_pool,
    move_budget,
    open_pools,
    pools_for_targets,
    pools_of_enterprise,
    set_pool_status,
    shard_allowances,
)
from chalicelib.dal.matching.reserve import (
    CapUse,
    Reserve,
    find_match,
    matched_amounts,
    matched_totals,
    move_cap,
    read_caps,
    reserve_match,
    return_match,
    void_unmatched,
)

__all__ = [
    "BudgetState",
    "CapUse",
    "MatchBudgetModel",
    "MatchCapModel",
    "MatchModel",
    "MatchPoolModel",
    "MatchTargetModel",
    "MatchTotalsModel",
    "PoolExists",
    "Reserve",
    "budget_state",
    "create_pool",
    "extend_pool",
    "find_match",
    "find_pool",
    "matched_amounts",
    "matched_totals",
    "move_budget",
    "move_cap",
    "open_pools",
    "pools_for_targets",
    "pools_of_enterprise",
    "read_caps",
    "reserve_match",
    "return_match",
    "set_pool_status",
    "shard_allowances",
    "void_unmatched",
]
