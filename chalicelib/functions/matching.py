"""Matching (配捐) and team (一起捐) totals, fed by the donations stream.

``gift_matcher``: for a gift newly ``paid``, reserves its match from a pool's budget
shards and counts it to its team; for a gift ``refunded``, returns both. Every step is
a conditional write keyed on the donation id: replays and duplicate records change
nothing, and one bad record never repeats its neighbours (partial batch responses).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Stream, Uses, process_stream_batch

MATCHER = "gift_matcher"


def match_gifts(settings: Settings, event: Any) -> dict[str, Any]:
    """Match (or return) each gift; then, once per project of the batch whose matched total
    moved, refresh its public totals snapshot (what public GETs read: ``search_refresh_raised``
    may have refreshed it before the match existed). A failed refresh reports that project's
    records for retry; their replay finds the match done and refreshes again."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.matching.stream import moves_matched_totals, on_donation_change
    from chalicelib.logic.projects.snapshots import refresh_public_snapshot
    from chalicelib.observability import logger

    bootstrap()
    moved: dict[str, list[str]] = {}  # project id -> sequence numbers of its records

    def handle(record: Any) -> str:
        image = record.dynamodb.new_image if record.dynamodb else None
        done = on_donation_change(image)
        if image and moves_matched_totals(done):
            moved.setdefault(str(image["project_id"]), []).append(str(record.dynamodb.sequence_number))
        return done

    result = process_stream_batch(event, handle)
    failures = list(result.get("batchItemFailures") or [])
    for project_id, sequence_numbers in moved.items():
        try:
            refresh_public_snapshot(project_id)
        except Exception:  # noqa: BLE001 - reported for retry, with the records that need it
            logger.exception("refreshing the public snapshot of %s failed", project_id)
            failures.extend({"itemIdentifier": number} for number in sequence_numbers)
    return {**result, "batchItemFailures": failures}


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
                "project-counters",  # the public totals snapshot (``project_id#total``), rewritten
            ),
            reads=("projects",),
        ),
    ),
]
