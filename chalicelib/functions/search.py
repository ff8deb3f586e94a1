"""Stream consumers that keep search fresh.

- ``search_index_projects`` (projects stream): upserts or removes each changed project.
- ``search_refresh_raised`` (donations stream): for each project whose donations were
  paid or refunded, once per project per batch, re-reads its shards into its public
  snapshot (``logic.projects.snapshots``: what public GETs read) and its amount raised
  into the search index.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Stream, Uses, process_stream_batch

PROJECTS_HANDLER = "search_index_projects"
DONATIONS_HANDLER = "search_refresh_raised"


def index_projects(settings: Settings, event: Any) -> dict[str, Any]:
    """Upsert/remove each changed project; a failing record is retried alone."""
    from chalicelib.logic.search.indexer import apply_project_record
    from chalicelib.logic.search.service import index_for

    index = index_for(settings)
    return process_stream_batch(event, lambda record: apply_project_record(index, record.raw_event))


def refresh_raised(settings: Settings, event: Any) -> dict[str, Any]:
    """Refresh each project's amount raised once per batch; a project whose refresh fails
    reports every record of it for retry (refreshing is idempotent)."""
    from chalicelib.logic.projects.snapshots import refresh_public_snapshot
    from chalicelib.logic.search.indexer import projects_with_new_totals
    from chalicelib.logic.search.service import index_for

    index = index_for(settings)
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    refreshed: dict[str, bool] = {}

    def refresh(record: Any) -> None:
        for project_id in projects_with_new_totals([record.raw_event]):
            if project_id not in refreshed:
                refreshed[project_id] = False
                totals = refresh_public_snapshot(project_id)
                if totals is not None:
                    index.refresh_raised(project_id, totals.amount_fen)
                refreshed[project_id] = True
            elif not refreshed[project_id]:
                raise RuntimeError(f"refreshing {project_id} failed earlier in this batch")

    return process_stream_batch(raw, refresh)


FUNCTIONS = [
    LambdaFunction(
        name=PROJECTS_HANDLER,
        trigger=Stream(table="projects", batch_size=100, starting_position="TRIM_HORIZON"),
        body=index_projects,
        uses=Uses(tables=("search-index",), reads=("projects", "project-counters", "match-totals")),
    ),
    LambdaFunction(
        name=DONATIONS_HANDLER,
        trigger=Stream(table="donations", batch_size=500),
        body=refresh_raised,
        # It also writes each project's public totals snapshot (``project_id#total`` in project-counters).
        uses=Uses(tables=("search-index", "project-counters"), reads=("donations", "projects", "match-totals")),
    ),
]
