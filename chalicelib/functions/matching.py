"""Matching (配捐) and team (一起捐) totals, fed by the donations stream.

``gift_matcher``: for a gift newly ``paid``, reserves its match from a pool's budget
shards and counts it to its team; for a gift ``refunded``, returns both. Every step is
a conditional write keyed on the donation id: replays and duplicate records change
nothing, and one bad record never repeats its neighbours (partial batch responses).

``team_boards`` (gift-credits stream): refreshes the leaderboard snapshots of the groups a
batch touched, once per group per batch (``logic/leaderboards``).

``match_totals_published`` (matches stream): re-publishes the public totals snapshot of each
project whose matched money changed, once per project per batch.

``match_rebalancer`` (every minute): moves budget between the shards of each open pool so
none stays dry (``logic/matching/rebalance``); each move is a conditional transaction, so
a replayed or overlapping run changes nothing it should not. Its failure destination (the
function-failures queue) comes from infra/build.py, as for every scheduled job.
"""

from __future__ import annotations

from typing import Any

from chalice import Rate

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Schedule, Stream, Uses, process_stream_batch

MATCHER = "gift_matcher"
REBALANCER = "match_rebalancer"
BOARDS = "team_boards"
PUBLISHER = "match_totals_published"


def match_gifts(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.matching.stream import on_donation_change

    bootstrap()
    return process_stream_batch(
        event, lambda record: on_donation_change(record.dynamodb.new_image if record.dynamodb else None)
    )


def refresh_boards(settings: Settings, event: Any) -> dict[str, Any]:
    """Each group a batch of credits touched gets its leaderboard refreshed once (with every
    member the batch touched); a group whose refresh fails reports all its records for retry."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.leaderboards import credited_groups, refresh_group

    bootstrap()
    from chalicelib.functions.fundflow import stream_images

    raw = event.to_dict() if hasattr(event, "to_dict") else event
    groups = credited_groups(new for _, new, _ in stream_images(raw))
    refreshed: dict[str, bool] = {}

    def refresh(record: Any) -> None:
        image = record.dynamodb.new_image if record.dynamodb else None
        group = str((image or {}).get("group_id") or "")
        if group not in groups:
            return
        if group not in refreshed:
            refreshed[group] = False
            refresh_group(group, groups[group])
            refreshed[group] = True
        elif not refreshed[group]:
            raise RuntimeError(f"refreshing {group} failed earlier in this batch")

    return process_stream_batch(raw, refresh)


def publish_matched(settings: Settings, event: Any) -> dict[str, Any]:
    """Each project whose matches changed in the batch gets its public totals snapshot
    re-read once (the match is reserved after the gift's own donations record, so the
    donations-stream refresh may have published before it). Refreshing is idempotent:
    a failure reports the whole batch."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.functions.fundflow import whole_batch
    from chalicelib.logic.matching.stream import projects_with_new_matches
    from chalicelib.logic.projects.snapshots import refresh_public_snapshot

    bootstrap()

    def apply(changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> None:
        for project_id in projects_with_new_matches(changes):
            refresh_public_snapshot(project_id)

    return whole_batch(event, apply)


def rebalance_pools(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.matching.rebalance import rebalance_open_pools

    bootstrap()
    return rebalance_open_pools().as_dict()


FUNCTIONS = [
    LambdaFunction(
        name=MATCHER,
        trigger=Stream(table="donations", batch_size=100),
        body=match_gifts,
        uses=Uses(
            tables=(
                "donations",
                "match-pools",
                "match-budget",
                "matches",
                "match-caps",
                "match-totals",
                "match-targets",
                "enterprises",
                "enterprise-members",
                "teams",
                "team-counters",
                "team-credits",
                "team-members",
            )
        ),
    ),
    LambdaFunction(
        name=BOARDS,
        trigger=Stream(table="team-credits", batch_size=500),
        body=refresh_boards,
        # Reads the members and team counters a batch touched (all of them to rebuild a board).
        uses=Uses(tables=("team-boards",), reads=("team-credits", "team-members", "team-counters", "teams")),
    ),
    LambdaFunction(
        name=PUBLISHER,
        trigger=Stream(table="matches", batch_size=500),
        body=publish_matched,
        # Writes the public snapshot (``project_id#total`` in project-counters) from the shards.
        uses=Uses(tables=("project-counters",), reads=("matches", "projects", "match-totals", "donations")),
    ),
    LambdaFunction(
        name=REBALANCER,
        trigger=Schedule(Rate(1, unit=Rate.MINUTES), description="spread open match pools' budget over their shards"),
        body=rebalance_pools,
        # Reads the open pools (sparse index), moves budget and project cap between shards.
        uses=Uses(tables=("match-budget", "match-caps"), reads=("match-pools",)),
    ),
]
