"""Leaderboard snapshots (pure merge logic, no AWS): bounded, in the true order, replay-safe."""

from __future__ import annotations

import random

from chalicelib.logic.leaderboards import KEEP, merge, rebuilt, top_rows


def row(key: str, amount: int, count: int = 1, changes: int = 1) -> list[object]:
    return [key, amount, count, changes, None, 0]


def test_rows_are_ranked_by_amount_then_gifts_then_key_and_newer_changes_win() -> None:
    rows, floor = merge([], None, [row("b", 500), row("a", 500), row("c", 900), row("d", 500, count=2)])
    assert [r[0] for r in rows] == ["c", "d", "a", "b"] and floor is None
    # A replayed (older) record of c changes nothing; a newer one moves it
    rows, floor = merge(rows, floor, [row("c", 100, changes=1), row("a", 50, changes=0)])
    assert [r[0] for r in rows] == ["c", "d", "a", "b"]
    rows, floor = merge(rows, floor, [row("c", 100, changes=2)])
    assert [r[0] for r in rows] == ["d", "a", "b", "c"]


def test_a_snapshot_never_holds_more_than_keep_rows_and_remembers_the_best_row_cut() -> None:
    rows, floor = merge([], None, [row(f"m{i:04d}", 10 + i) for i in range(KEEP + 30)])
    assert len(rows) == KEEP
    assert floor is not None and floor[0] == "m0029"  # the best of the 30 cut
    assert top_rows(rows, floor, 50) == rows[:50]


def test_under_random_gifts_and_refunds_the_shown_rows_are_always_the_true_top() -> None:
    # Given 400 members whose giving rises (gifts) and sometimes falls (refunds), batch by batch
    rng = random.Random(16)
    truth: dict[str, list[object]] = {}
    rows: list[list[object]] = []
    floor = None
    rebuilds = 0
    for _ in range(300):
        batch = []
        for _ in range(rng.randint(1, 30)):
            key = f"m{rng.randrange(400):03d}"
            old = truth.get(key, row(key, 0, 0, 0))
            refund = rng.random() < 0.15 and int(old[1]) > 0  # type: ignore[call-overload]
            amount = max(0, int(old[1]) + (-rng.randint(1, 5_000) if refund else rng.randint(1, 5_000)))  # type: ignore[call-overload]
            truth[key] = row(key, amount, int(old[2]) + (-1 if refund else 1), int(old[3]) + 1)  # type: ignore[call-overload]
            batch.append(truth[key])
        # When the batch is merged (and the snapshot rebuilt when refunds left it unsure)
        rows, floor = merge(rows, floor, batch)
        if floor is not None and len(top_rows(rows, floor, 50)) < min(50, len(rows)):
            rows, floor = rebuilt(truth.values())
            rebuilds += 1
        # Then the top 50 shown are exactly the true top 50, and the snapshot stays bounded
        expected = sorted(truth.values(), key=lambda r: (-int(r[1]), -int(r[2]), str(r[0])))[:50]  # type: ignore[call-overload]
        assert top_rows(rows, floor, 50) == expected
        assert len(rows) <= KEEP
    assert rebuilds <= 5  # rebuilding from every member stays the exception


def test_refunds_that_empty_the_top_rows_make_the_snapshot_unsure_until_rebuilt() -> None:
    # Given 150 members on a snapshot of KEEP rows
    truth = {f"m{i:03d}": row(f"m{i:03d}", 1_000 + i) for i in range(150)}
    rows, floor = merge([], None, truth.values())
    # When the 80 best are refunded to nothing
    refunds = [row(k, 0, 0, 2) for k, _ in sorted(truth.items(), key=lambda kv: -int(kv[1][1]))[:80]]  # type: ignore[call-overload]
    truth.update({str(r[0]): r for r in refunds})
    rows, floor = merge(rows, floor, refunds)
    # Then fewer than 50 rows are sure (members cut earlier may now rank above the kept ones)
    assert len(top_rows(rows, floor, 50)) < 50
    # And rebuilt from every member, the top 50 are the true ones again
    rows, floor = rebuilt(truth.values())
    assert [r[0] for r in top_rows(rows, floor, 50)] == [f"m{i:03d}" for i in range(69, 19, -1)]
