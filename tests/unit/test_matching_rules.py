"""The rule-correct match of one gift (pure rules, no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.dal.matching import shard_allowances
from chalicelib.logic.matching.rules import Gift, PoolRules, match_day, parse_window, rule_match, wanted

WINDOW = parse_window("2026-09-07T09:00:00+08:00/2026-09-07T12:00:00+08:00")


def rules(**overrides: object) -> PoolRules:
    values: dict[str, object] = {
        "pool_id": "p",
        "status": "open",
        "ratio_num": 1,
        "ratio_den": 2,
        "gift_cap_fen": 1_000,
        "donor_day_cap_fen": 1_500,
        "project_cap_fen": None,
        "windows": (WINDOW,),
        "budget_shards": 4,
    }
    values.update(overrides)
    return PoolRules(**values)  # type: ignore[arg-type]


def gift(amount: int, paid_at: datetime, donor_key: str | None = "sub:a") -> Gift:
    return Gift("d", "proj", 0, amount, paid_at, donor_key, None)


def test_ratio_rounds_down_to_the_fen_and_stops_at_the_gift_cap() -> None:
    assert rule_match(rules(), 333) == 166
    assert rule_match(rules(ratio_num=3, ratio_den=1), 100) == 300
    assert rule_match(rules(), 10_000) == 1_000


def test_matched_hours_are_half_open_and_judged_on_the_payment_time() -> None:
    inside = datetime(2026, 9, 7, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    end = datetime(2026, 9, 7, 4, 0, tzinfo=UTC)  # 12:00 Shanghai
    assert wanted(rules(), gift(800, inside)) == 400
    assert wanted(rules(), gift(800, end)) == 0
    assert wanted(rules(status="closed"), gift(800, inside)) == 0


def test_an_unknown_donor_is_bounded_by_the_day_cap_alone() -> None:
    inside = datetime(2026, 9, 7, 2, 0, tzinfo=UTC)
    assert wanted(rules(gift_cap_fen=5_000), gift(8_000, inside, donor_key=None)) == 1_500
    assert wanted(rules(gift_cap_fen=5_000), gift(8_000, inside)) == 4_000


def test_the_donor_day_is_the_shanghai_calendar_day() -> None:
    assert match_day(datetime(2026, 9, 7, 16, 30, tzinfo=UTC)) == "2026-09-08"


def test_shards_split_a_budget_to_the_fen() -> None:
    assert shard_allowances(10, 4) == [3, 3, 2, 2]
    assert sum(shard_allowances(1_000_003, 16)) == 1_000_003
