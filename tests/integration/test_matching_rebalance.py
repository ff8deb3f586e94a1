"""The scheduled rebalancer (``match_rebalancer``): shards drained unevenly are spread out
again, matching goes on from them, and the pool stays exact to the fen (moto)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.dal.matching import budget_state
from chalicelib.logic.matching import pools, reserve
from tests.factories.projects import make_project
from tests.factories.streams import stream_record
from tests.integration.test_matching_surge import ADMIN, feed, make_pool, paid


def rebalance(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:rule"])
    return dict(client.lambda_.invoke("match_rebalancer", event).payload)


def gifts_of(project_id: str, count: int, amount: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        stream_record(paid(project_id, amount, f"sub:d{start + i}", shard=i % 4), None, event_name="MODIFY")
        for i in range(count)
    ]


@pytest.fixture
def shards_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gifts try the shards 0, 1, 2 ... instead of at random, so they drain them one by one."""
    monkeypatch.setattr(reserve.random, "shuffle", lambda shards: None)


def test_unevenly_drained_shards_are_rebalanced_and_matching_goes_on_exactly(
    client: Any, aws: Any, shards_in_order: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 1:1 pool of 80,000 fen over 8 shards whose first three shards were drained
    project = make_project()
    pool = make_pool(project.project_id, budget_fen=80_000, budget_shards=8, donor_day_cap_fen=None)
    feed(aws, gifts_of(project.project_id, 30, 1_000), threads=1, batch=10)
    before = budget_state(pool["pool_id"], 8)
    assert before.shards == [0, 0, 0] + [10_000] * 5
    # When the scheduled rebalancer runs (twice: a replayed schedule event)
    first = rebalance(client)
    second = rebalance(client)
    # Then the 50,000 fen left are spread evenly, nothing created or lost
    after = budget_state(pool["pool_id"], 8)
    assert after.shards == [6_250] * 8
    assert (first["pools"], first["moved_fen"], second["moves"]) == (1, 18_750, 0)
    assert after.left_fen + after.matched_fen == 80_000
    # And matching goes on from the rebalanced shards, with no on-demand gathering needed
    monkeypatch.setattr(reserve, "_gather", lambda *a: pytest.fail("gathered on demand"))
    feed(aws, gifts_of(project.project_id, 10, 1_000, start=30), threads=1, batch=10)
    end = budget_state(pool["pool_id"], 8)
    assert end.matched_fen == 40_000 and end.match_count == 40
    assert end.left_fen + end.matched_fen == 80_000
    assert min(end.shards) >= 0


def test_project_cap_shards_are_rebalanced_too_and_a_closed_pool_is_not_visited(
    client: Any, aws: Any, shards_in_order: None
) -> None:
    # Given a pool with a per-project cap of 8,000 fen over 4 shards, shard 0's cap used up
    project = make_project()
    pool = make_pool(
        project.project_id, budget_fen=100_000, budget_shards=4, donor_day_cap_fen=None, project_cap_fen=8_000
    )
    feed(aws, gifts_of(project.project_id, 2, 1_000), threads=1, batch=10)
    # When the rebalancer runs, the budget and the cap's 6,000 fen left are spread out
    done = rebalance(client)
    assert done["pools"] == 1 and done["lost_races"] == 0
    from chalicelib.logic.matching.rebalance import _project_caps

    model = pools.store.find_pool(pool["pool_id"])
    assert model is not None
    assert [c.available for c in _project_caps(model, project.project_id)] == [1_500] * 4
    # And once the pool is closed, it drops out of the sparse index: nothing is visited
    pools.close_pool(ADMIN, pool["pool_id"])
    assert rebalance(client)["pools"] == 0


def test_rebalancing_while_matching_never_overspends_and_spends_to_the_fen(aws: Any) -> None:
    # Given a small pool (30,000 fen, 8 shards) and far more gifts than it can match
    from chalicelib.logic.matching.rebalance import rebalance_open_pools

    project = make_project()
    pool = make_pool(project.project_id, budget_fen=30_000, budget_shards=8, donor_day_cap_fen=None)
    records = gifts_of(project.project_id, 120, 700)
    # When the rebalancer runs over and over while the gifts are matched from 4 threads
    stop = threading.Event()

    def keep_rebalancing() -> None:
        while not stop.is_set():
            rebalance_open_pools()

    runner = threading.Thread(target=keep_rebalancing)
    runner.start()
    try:
        feed(aws, records, threads=4, batch=10)
    finally:
        stop.set()
        runner.join()
    # Then the pool is spent exactly to its budget, no shard below zero
    state = budget_state(pool["pool_id"], 8)
    assert state.matched_fen == 30_000 and state.left_fen == 0
    assert min(state.shards) == 0
