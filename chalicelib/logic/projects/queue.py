"""The platform's review queue: projects of one status, each with the name of its charity."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.projects import ProjectModel

# The statuses a reviewer works through: each is a queue that empties, not the platform's history.
QUEUE_STATUSES = ("pending_review", "rejected", "offline")
QUEUE_LIMIT = 100


@dataclass(frozen=True)
class QueueEntry:
    project: ProjectModel
    org_name: str


def review_queue(status: str, *, limit: int = QUEUE_LIMIT) -> list[QueueEntry]:
    """Up to ``limit`` projects of ``status``, earliest end date first (one index Query, one
    read per distinct charity for its name)."""
    if status not in QUEUE_STATUSES:
        raise ValueError(f"not a review queue: {status}")
    projects = project_store.projects_by_status(status, limit=limit)
    names: dict[str, str] = {}
    for org_id in dict.fromkeys(p.org_id for p in projects):
        org = org_store.find_org(org_id)
        names[org_id] = org.name if org is not None else org_id
    return [QueueEntry(project=p, org_name=names[p.org_id]) for p in projects]
