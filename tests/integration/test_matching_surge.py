"""配捐 under a surge: gifts (with duplicates, in parallel) at one matched project, fed to the
matching consumer as donations-stream batches, on moto."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.auth import Principal, Role
from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.matching import MatchBudgetModel, MatchCapModel, MatchModel, budget_state, find_match
from chalicelib.functions.matching import match_gifts
from chalicelib.ids import new_id
from chalicelib.logic.matching import pools
from chalicelib.logic.matching.stream import forget_cached_pools
from tests.factories.projects import make_project
from tests.factories.streams import stream_event, stream_record

ADMIN = Principal(sub="platform-admin", role=Role.PLATFORM_ADMIN)
GIFTS = int(os.environ.get("GONGYI_SURGE_GIFTS", "10000"))


def window_around_now() -> str:
    now = utcnow()
    return f"{to_iso(now - timedelta(hours=1))}/{to_iso(now + timedelta(hours=1))}"


def make_pool(project_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "funder": "某基金会",
        "budget_fen": 10**10,
        "ratio_num": 1,
        "ratio_den": 1,
        "gift_cap_fen": 5_000,
        "donor_day_cap_fen": 8_000,
        "project_cap_fen": None,
        "project_ids": [project_id],
        "windows": [window_around_now()],
        "budget_shards": 16,
    }
    body.update(overrides)
    forget_cached_pools()
    return pools.create_pool(ADMIN, body)


def paid(project_id: str, amount: int, donor: str | None, *, shard: int) -> DonationModel:
    now = utcnow()
    return DonationModel(
        donation_id=new_id(),
        project_id=project_id,
        org_id="org",
        shard=shard,
        project_shard=f"{project_id}#{shard}",
        amount_fen=amount,
        donor_key=donor,
        channel="sandbox",
        status="paid",
        created_at=to_iso(now),
        paid_at=to_iso(now),
    )


def refunded(donation: DonationModel) -> DonationModel:
    copy = DonationModel(**{**donation.attribute_values})
    copy.status = "refunded"
    copy.refunded_at = to_iso(utcnow())
    return copy


def feed(settings: Any, records: list[dict[str, Any]], *, threads: int = 4, batch: int = 100) -> None:
    """Deliver ``records`` as stream batches from several threads; every batch must succeed."""
    batches = [records[i : i + batch] for i in range(0, len(records), batch)]

    def deliver(chunk: list[dict[str, Any]]) -> None:
        answer = match_gifts(settings, stream_event(*chunk))
        assert answer == {"batchItemFailures": []}, answer

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(deliver, batches))


def rule_correct(gifts: list[DonationModel], *, ratio: tuple[int, int], gift_cap: int, day_cap: int) -> dict[str, int]:
    """Per donor, what the rules allow: the day cap over the per-gift-capped matches (the budget
    does not bind here, so the result does not depend on the order gifts arrive in)."""
    per_donor: dict[str, int] = defaultdict(int)
    for gift in gifts:
        per_donor[str(gift.donor_key)] += min(int(gift.amount_fen) * ratio[0] // ratio[1], gift_cap)
    return {donor: min(day_cap, total) for donor, total in per_donor.items()}


def all_matches(gifts: list[DonationModel]) -> dict[str, MatchModel]:
    ids = [g.donation_id for g in gifts]
    found: dict[str, MatchModel] = {}
    for i in range(0, len(ids), 100):
        found.update({m.donation_id: m for m in MatchModel.batch_get(ids[i : i + 100])})
    return found


@pytest.mark.slow
def test_surge_of_gifts_with_duplicates_is_matched_exactly_once_within_caps(aws: Any) -> None:
    # Given a 2:1 pool (cap 5,000 fen per gift, 8,000 per donor per day) at one project
    project = make_project()
    pool = make_pool(project.project_id, ratio_num=2, ratio_den=1)
    rng = random.Random(16)
    donors = [f"sub:donor-{i}" for i in range(GIFTS // 5)]
    gifts = [
        paid(project.project_id, rng.randint(1, 9_000), rng.choice(donors), shard=rng.randrange(4))
        for _ in range(GIFTS)
    ]
    records = [stream_record(g, None, event_name="MODIFY") for g in gifts]
    # When they arrive with 10% duplicates, shuffled, from 4 threads, and one batch is replayed
    records += rng.sample(records, GIFTS // 10)
    rng.shuffle(records)
    feed(aws, records)
    feed(aws, records[:100], threads=1)

    # Then each gift has at most one match, and each donor got exactly what the rules allow
    matches = all_matches(gifts)
    expected = rule_correct(gifts, ratio=(2, 1), gift_cap=5_000, day_cap=8_000)
    got: dict[str, int] = defaultdict(int)
    for gift in gifts:
        match = matches.get(gift.donation_id)
        if match is not None:
            assert match.status == "matched"
            assert 0 < int(match.amount_fen) <= min(2 * int(gift.amount_fen), 5_000)
            got[str(gift.donor_key)] += int(match.amount_fen)
    assert dict(got) == {d: v for d, v in expected.items() if v}
    # And the pool's matched total is their sum, taken from the budget exactly
    state = budget_state(pool["pool_id"], 16)
    assert state.matched_fen == sum(expected.values())
    assert state.left_fen == 10**10 - state.matched_fen
    assert state.match_count == len(matches)
    assert min(state.shards) >= 0

    # When 100 matched gifts are refunded (and the refunds replayed)
    refunds = [g for g in gifts if g.donation_id in matches][:100]
    returned = sum(int(matches[g.donation_id].amount_fen) for g in refunds)
    back = [stream_record(refunded(g), g) for g in refunds]
    feed(aws, back + back[:50])

    # Then exactly their matches went back to the pool, once
    after = budget_state(pool["pool_id"], 16)
    assert after.matched_fen == state.matched_fen - returned
    assert after.left_fen == state.left_fen + returned
    assert {find_match(g.donation_id).status for g in refunds} == {"returned"}  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_small_budget_is_spent_to_the_fen_and_never_beyond(aws: Any) -> None:
    # Given a pool of 300,000 fen over 8 shards, with a per-project cap of 250,000 fen
    project = make_project()
    pool = make_pool(
        project.project_id, budget_fen=300_000, budget_shards=8, donor_day_cap_fen=None, project_cap_fen=250_000
    )
    rng = random.Random(7)
    gifts = [paid(project.project_id, rng.randint(100, 9_000), f"sub:{i}", shard=rng.randrange(4)) for i in range(400)]
    records = [stream_record(g, None, event_name="MODIFY") for g in gifts]
    records += records[:80]
    rng.shuffle(records)
    # When far more is given than the cap allows, in parallel
    feed(aws, records, threads=4, batch=20)
    # Then exactly the project's cap is matched (it binds before the budget), never more
    matches = all_matches(gifts)
    state = budget_state(pool["pool_id"], 8)
    assert state.matched_fen == 250_000 == sum(int(m.amount_fen) for m in matches.values())
    assert state.left_fen == 50_000
    assert min(state.shards) >= 0
    caps = [MatchCapModel.get(MatchCapModel.project_key(pool["pool_id"], project.project_id, s)) for s in range(8)]
    assert min(int(c.left_fen) for c in caps) >= 0
    assert sum(int(c.left_fen) for c in caps) == 0
    assert MatchBudgetModel.get(MatchBudgetModel.key(pool["pool_id"], 0)).pool_id == pool["pool_id"]
