"""The project as donations see it: a briefly cached snapshot, whether it accepts
donations now, and its number of counter shards."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal.projects import find_project
from chalicelib.dal.totals import ProjectMissing, ShardCountNotRaised, raise_counter_shards
from chalicelib.errors import Conflict, NotFound


@dataclass(frozen=True)
class ProjectSnapshot:
    project_id: str
    org_id: str
    title: str
    status: str
    start_at: str
    end_at: str
    counter_shards: int


_project_cache: dict[str, tuple[float, ProjectSnapshot]] = {}


def project_snapshot(project_id: str, max_age_seconds: float) -> ProjectSnapshot:
    """The project, from this container's cache when younger than ``max_age_seconds``.

    Every donation of a viral project reads the same project item: caching it
    briefly takes that hot read key off the request path (one GetItem per
    container per few seconds instead of one per donation).
    """
    cached = _project_cache.get(project_id)
    if cached and time.monotonic() - cached[0] < max_age_seconds:
        return cached[1]
    project = find_project(project_id)
    if project is None:
        _project_cache.pop(project_id, None)
        raise NotFound(f"no project {project_id}", code="project_not_found")
    snapshot = ProjectSnapshot(
        project_id=project.project_id,
        org_id=project.org_id,
        title=project.title,
        status=project.status,
        start_at=project.start_at,
        end_at=project.end_at,
        counter_shards=int(project.counter_shards or 1),
    )
    _project_cache[project_id] = (time.monotonic(), snapshot)
    return snapshot


def forget_cached_projects() -> None:
    _project_cache.clear()


def ensure_accepting(project: ProjectSnapshot, now: datetime) -> None:
    if project.status != "online":
        raise Conflict(
            f"the project is {project.status} and does not accept donations", code="project_not_accepting_donations"
        )
    if now < parse_iso(project.start_at):
        raise Conflict("the project's fundraising has not started yet", code="project_not_started")
    if now > parse_iso(project.end_at):
        raise Conflict("the project's fundraising has ended", code="project_ended")


def raise_shards(project_id: str, counter_shards: int) -> dict[str, Any]:
    try:
        raise_counter_shards(project_id, counter_shards, to_iso(utcnow()))
    except ProjectMissing:
        raise NotFound(f"no project {project_id}", code="project_not_found") from None
    except ShardCountNotRaised:
        raise Conflict(
            "the project has at least that many counter shards; shards can only be raised",
            code="counter_shards_not_raised",
        ) from None
    forget_cached_projects()
    return {"project_id": project_id, "counter_shards": counter_shards}
