"""The rebalancer's plan (pure, no AWS): moves that restore each shard's fair share."""

from __future__ import annotations

import random

from chalicelib.dal.matching import shard_allowances
from chalicelib.logic.matching.rebalance import plan_moves


def apply(left: list[int], moves: list[tuple[int, int, int]]) -> list[int]:
    after = list(left)
    for source, target, amount in moves:
        assert amount > 0 and source != target
        after[source] -= amount
        assert after[source] >= 0  # a move never takes a shard below zero
        after[target] += amount
    return after


def test_dry_shards_are_topped_up_to_their_fair_share_from_the_rich_ones() -> None:
    # Given four shards, two of them dry
    left = [0, 700, 0, 500]
    # When the plan is applied
    after = apply(left, plan_moves(left))
    # Then every shard holds its fair share and the total is unchanged
    assert after == shard_allowances(1_200, 4) == [300, 300, 300, 300]


def test_balanced_enough_or_empty_pools_are_left_alone() -> None:
    assert plan_moves([300, 300, 300, 300]) == []
    assert plan_moves([160, 440, 300, 300]) == []  # nobody below half its share
    assert plan_moves([0, 0, 0, 0]) == []
    assert plan_moves([0, 0, 0, 1]) != []  # the last fen moves to the first shard's share


def test_any_state_keeps_the_sum_and_ends_with_no_shard_below_half_its_share() -> None:
    rng = random.Random(16)
    for _ in range(500):
        left = [rng.choice([0, 0, rng.randint(0, 10_000)]) for _ in range(rng.randint(1, 16))]
        after = apply(left, plan_moves(left))
        assert sum(after) == sum(left)
        assert plan_moves(after) == []
