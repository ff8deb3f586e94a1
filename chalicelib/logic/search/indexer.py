"""Keep the search index in step with the projects table and donations.

Fed by two DynamoDB streams (see ``chalicelib.functions.search``):

* projects (NEW_AND_OLD_IMAGES): a created, edited or re-statused project is
  upserted; a deleted one removed. Records that change nothing search shows
  (feedback due dates, audit fields) are skipped before any read.
* donations (NEW_AND_OLD_IMAGES): a donation becoming paid or refunded
  refreshes its project's amount raised (``most_raised``), once per project
  per batch however many donations the batch holds.

Both are idempotent: replays and retries converge on the same index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.logic.search.index import SearchIndex
from chalicelib.logic.search.model import ProjectDocument

# Project attributes that search stores, filters or sorts on.
SEARCHED_FIELDS = (
    "status", "title", "summary", "description", "category", "province", "city", "org_id",
    "campaign_ids", "created_at", "start_date", "end_date", "end_at", "target_fen", "cover_image_key",
)  # fmt: skip
RAISED_CHANGING_STATUSES = ("paid", "refunded")


def _document(image: dict[str, Any]) -> ProjectDocument:
    from chalicelib.dal.projects import ProjectModel

    return ProjectDocument.from_project(ProjectModel.from_raw_data(image))


def apply_project_record(index: SearchIndex, record: dict[str, Any]) -> None:
    """Apply one projects-stream record (``record["dynamodb"]`` with wire-format images)."""
    change = record.get("dynamodb", {})
    new, old = change.get("NewImage"), change.get("OldImage")
    if record.get("eventName") == "REMOVE" or new is None:
        if old is not None:
            index.remove(old["project_id"]["S"], updated_at=old.get("updated_at", {}).get("S", ""))
        return
    if old is not None and all(old.get(f) == new.get(f) for f in SEARCHED_FIELDS):
        return
    index.upsert(_document(new))


def projects_with_new_totals(records: Iterable[dict[str, Any]]) -> list[str]:
    """Projects whose amount raised changed in these donations-stream records (each once)."""
    projects: dict[str, None] = {}
    for record in records:
        change = record.get("dynamodb", {})
        new, old = change.get("NewImage") or {}, change.get("OldImage") or {}
        status = new.get("status", {}).get("S")
        if status in RAISED_CHANGING_STATUSES and status != old.get("status", {}).get("S"):
            projects[new["project_id"]["S"]] = None
    return list(projects)
