"""Matching (配捐) and team (一起捐) totals, fed by the donations stream.

``gift_matcher``: for a gift newly ``paid``, reserves its match from a pool's budget
shards and counts it to its team; for a gift ``refunded``, returns both. Every step is
a conditional write keyed on the donation id: replays and duplicate records change
nothing, and one bad record never repeats its neighbours (partial batch responses).

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


def match_gifts(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.matching.stream import on_donation_change

    bootstrap()
    return process_stream_batch(
        event, lambda record: on_donation_change(record.dynamodb.new_image if record.dynamodb else None)
    )


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
        name=REBALANCER,
        trigger=Schedule(Rate(1, unit=Rate.MINUTES), description="spread open match pools' budget over their shards"),
        body=rebalance_pools,
        # Reads the open pools (sparse index), moves budget and project cap between shards.
        uses=Uses(tables=("match-budget", "match-caps"), reads=("match-pools",)),
    ),
]
