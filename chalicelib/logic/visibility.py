"""What anonymous users and donors may read: projects once they have been approved."""

from __future__ import annotations

from chalicelib.auth import Principal
from chalicelib.dal.projects import PUBLIC_STATUSES, ProjectModel
from chalicelib.errors import NotFound
from chalicelib.logic.access import is_project_charity


def is_visible(project: ProjectModel, principal: Principal | None) -> bool:
    if project.status in PUBLIC_STATUSES:
        return True
    if principal is None:
        return False
    return principal.is_platform_admin or is_project_charity(principal, project)


def require_visible(project: ProjectModel, principal: Principal | None) -> ProjectModel:
    """Drafts and projects in review are not found for those who may not see them."""
    if not is_visible(project, principal):
        raise NotFound(f"no project {project.project_id}", code="project_not_found")
    return project
