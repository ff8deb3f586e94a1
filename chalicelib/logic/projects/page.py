"""A project's public page: the project, its totals, both charities, its latest feedback."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import Principal
from chalicelib.dal import feedback as feedback_store
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.feedback import FeedbackModel
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.dal.totals import Totals, read_snapshot
from chalicelib.logic.visibility import require_visible

FEEDBACK_ON_PAGE = 20


@dataclass(frozen=True)
class ProjectPage:
    project: ProjectModel
    totals: Totals
    raising_org: OrgModel | None
    executing_org: OrgModel | None
    feedback: list[FeedbackModel]  # newest first, at most FEEDBACK_ON_PAGE


def visible_project(project_id: str, principal: Principal | None) -> ProjectModel:
    """The project, if the caller may see it (drafts and projects in review are not found otherwise)."""
    return require_visible(project_store.get_project(project_id), principal)


def project_page(project: ProjectModel) -> ProjectPage:
    """Everything the public page of ``project`` shows beside the project itself."""
    return ProjectPage(
        project=project,
        totals=read_snapshot(project.project_id, int(project.counter_shards or 1)),
        raising_org=_find_org(project.org_id),
        executing_org=_find_org(project.executor_org_id),
        feedback=feedback_store.feedback_of(project.project_id, limit=FEEDBACK_ON_PAGE),
    )


def _find_org(org_id: str | None) -> OrgModel | None:
    return org_store.find_org(org_id) if org_id else None
