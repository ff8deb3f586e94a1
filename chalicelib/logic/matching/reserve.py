"""Reserving a gift's match from a pool's budget shards, and returning it on refund.

Each attempt is one BatchGetItem (the cap counters it draws on) and one transaction
(``chalicelib.dal.matching.reserve_match``). A dry shard sends the gift to another
shard; when no shard holds the whole match, the rebalancing step moves budget (and
per-project cap) into the richest shard, conditionally, then matches what is left.
"""

from __future__ import annotations

import random
import time

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import matching as store
from chalicelib.dal.matching import CapUse, MatchCapModel, MatchModel, Reserve
from chalicelib.logic.matching.rules import Gift, PoolRules, match_day, wanted

MAX_ATTEMPTS = 40
MAX_DRY_TRIES = 3  # shards tried at random before gathering the budget


class MatchNotSettled(RuntimeError):
    """Could not settle the match in ``MAX_ATTEMPTS`` (heavy contention): the stream retries it."""


def _caps(rules: PoolRules, gift: Gift, shard: int) -> tuple[CapUse | None, CapUse | None]:
    keys: list[str] = []
    donor_key = project_key = None
    if rules.donor_day_cap_fen is not None and gift.donor_key:
        donor_key = MatchCapModel.donor_key(rules.pool_id, match_day(gift.paid_at), gift.donor_key)
        keys.append(donor_key)
    if rules.project_cap_fen is not None:
        project_key = MatchCapModel.project_key(rules.pool_id, gift.project_id, shard)
        keys.append(project_key)
    left = store.read_caps(keys)
    donor = CapUse(donor_key, left.get(donor_key), int(rules.donor_day_cap_fen or 0)) if donor_key else None
    project = None
    if project_key:
        allowance = store.shard_allowances(int(rules.project_cap_fen or 0), rules.budget_shards)[shard]
        project = CapUse(project_key, left.get(project_key), allowance)
    return donor, project


def _project_caps(rules: PoolRules, gift: Gift) -> list[CapUse]:
    """Every shard of the project's cap (one BatchGetItem)."""
    keys = [MatchCapModel.project_key(rules.pool_id, gift.project_id, s) for s in range(rules.budget_shards)]
    left = store.read_caps(keys)
    allowances = store.shard_allowances(int(rules.project_cap_fen or 0), rules.budget_shards)
    return [CapUse(key, left.get(key), allowances[s]) for s, key in enumerate(keys)]


def _match_entry(
    rules: PoolRules, gift: Gift, shard: int, amount: int, donor: CapUse | None, project: CapUse | None
) -> MatchModel:
    """The gift's match entry, reserving ``amount`` from budget shard ``shard``."""
    return MatchModel(
        donation_id=gift.donation_id,
        pool_id=rules.pool_id,
        shard=shard,
        project_id=gift.project_id,
        totals_shard=gift.shard,
        donor_cap_key=donor.cap_key if donor else None,
        project_cap_key=project.cap_key if project else None,
        gift_fen=gift.amount_fen,
        amount_fen=amount,
        status="matched",
        matched_at=to_iso(utcnow()),
    )


def match_gift(rules: PoolRules, gift: Gift) -> int | None:
    """Reserve ``gift``'s match from ``rules``' pool. Returns the matched fen (0: nothing to
    match: not eligible, a cap or the budget is exhausted), or None when the gift already has
    a match entry (a replay)."""
    want = wanted(rules, gift)
    if want <= 0:
        return 0
    shards = list(range(rules.budget_shards))
    random.shuffle(shards)
    dry: set[int] = set()
    limit: dict[int, int] = {}
    for attempt in range(MAX_ATTEMPTS):
        candidates = [s for s in shards if s not in dry]
        if not candidates:
            found = _gather(rules, gift, want)
            if found is None:
                return 0
            shard, amount = found
            dry.discard(shard)
            limit[shard] = amount
            candidates = [shard]
        shard = candidates[0]
        donor, project = _caps(rules, gift, shard)
        amount = min(want, limit.get(shard, want))
        if donor is not None:
            amount = min(amount, donor.available)
            if amount <= 0:
                return 0  # the donor's day cap is used up: no shard changes that
        if project is not None and project.available < amount:
            # The project's cap is short here: gather it (one read of every shard) rather
            # than reading the shards one by one.
            dry.update(shards)
            limit.pop(shard, None)
            continue
        result = store.reserve_match(
            _match_entry(rules, gift, shard, amount, donor, project),
            caps=[c for c in (donor, project) if c is not None],
            donation_shard=gift.shard,
        )
        if result == Reserve.DONE:
            return amount
        if result == Reserve.ALREADY:
            return None
        if result == Reserve.BUDGET:
            dry.add(shard)
            limit.pop(shard, None)
            if len(dry) >= MAX_DRY_TRIES:
                dry.update(shards)
        elif result == Reserve.CONFLICT:
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        # Reserve.CAPS: a counter moved since it was read; read again.
    raise MatchNotSettled(gift.donation_id)


def _gather(rules: PoolRules, gift: Gift, want: int) -> tuple[int, int] | None:
    """The rebalancing step: when no single shard holds the match, move budget (and the
    project's cap) from the other shards into the richest, each move a conditional
    transaction. Returns (shard, amount to match there), or None when the pool (or the
    project's cap) has nothing left for this gift."""
    state = store.budget_state(rules.pool_id, rules.budget_shards)
    amount = min(want, state.left_fen)
    project_caps: list[CapUse] = []
    if rules.project_cap_fen is not None:
        project_caps = _project_caps(rules, gift)
        amount = min(amount, sum(c.available for c in project_caps))
    if amount <= 0:
        return None
    target = max(range(rules.budget_shards), key=lambda s: state.shards[s])
    need = amount - state.shards[target]
    for source in sorted(range(rules.budget_shards), key=lambda s: -state.shards[s]):
        if need <= 0:
            break
        if source == target or state.shards[source] <= 0:
            continue
        moved = min(need, state.shards[source])
        if store.move_budget(rules.pool_id, source, target, moved):
            need -= moved
        # A failed move (a concurrent draw) leaves the target short: the attempt finds it
        # dry and gathers again.
    if project_caps:
        need = amount - project_caps[target].available
        for source in sorted(range(rules.budget_shards), key=lambda s: -project_caps[s].available):
            if need <= 0:
                break
            if source == target or project_caps[source].available <= 0:
                continue
            moved = min(need, project_caps[source].available)
            if store.move_cap(project_caps[source], project_caps[target], moved):
                need -= moved
            project_caps = _project_caps(rules, gift)
    return target, amount


def return_gift_match(donation_id: str, project_id: str) -> str:
    """A refunded gift gives its match back to the pool, once. Without a match entry, a
    ``void`` entry makes sure a replayed payment never matches it later."""
    now = to_iso(utcnow())
    match = store.find_match(donation_id)
    if match is None:
        if store.void_unmatched(donation_id, project_id, now):
            return "voided"
        match = store.find_match(donation_id)
        assert match is not None
    if match.status != "matched":
        return f"already_{match.status}"
    return "returned" if store.return_match(match, now) else "already_returned"
