"""The public snapshot of a project: totals and the first page of paid donations.

Refreshed by the donations-stream consumer (``search_refresh_raised``) and, for the
配捐 matched (reserved after the gift's own record), by the matches-stream consumer
(``match_totals_published``), once per project per batch, from a consistent read of every counter shard and every
``by_project_shard`` partition; read by public GETs with one eventually consistent
GetItem, whatever the project's number of shards. A refresh is idempotent and
replay-safe: the snapshot records when its shards were read, and an older read
never overwrites a newer one.
"""

from __future__ import annotations

import time

from chalicelib.dal.donations import DonationModel, paid_donations_page
from chalicelib.dal.projects import get_project
from chalicelib.dal.totals import Totals, read_totals, recent_snapshot, write_snapshot
from chalicelib.errors import NotFound

# The first page a public donation list shows (its default limit) plus one, to know there is more.
RECENT_ON_SNAPSHOT = 21


def refresh_public_snapshot(project_id: str) -> Totals | None:
    """Re-read the project's shards and publish them; ``None`` for an unknown project."""
    try:
        project = get_project(project_id)
    except NotFound:
        return None
    shards = int(project.counter_shards or 1)
    as_of = time.time_ns()  # taken before the reads: a racing older read cannot win
    totals = read_totals(project_id, shards)
    recent = paid_donations_page(project_id, shards, limit=RECENT_ON_SNAPSHOT, before=None)
    write_snapshot(project_id, totals, as_of, [d.serialize() for d in recent])
    return totals


def recent_paid_donations(project_id: str, limit: int) -> list[DonationModel] | None:
    """The newest ``limit`` + 1 paid donations from the snapshot, or ``None`` when the
    snapshot cannot answer (none yet, or a longer page asked for)."""
    if limit + 1 > RECENT_ON_SNAPSHOT:
        return None
    stored = recent_snapshot(project_id)
    if stored is None:
        return None
    return [DonationModel.from_raw_data(item) for item in stored[: limit + 1]]
