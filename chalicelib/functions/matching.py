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
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.matching.stream import on_donation_change

    bootstrap()
    return process_stream_batch(
        event, lambda record: on_donation_change(record.dynamodb.new_image if record.dynamodb else None)
    )


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
]
