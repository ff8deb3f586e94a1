"""Who may act on a charity or a project: one place for the ownership rules.

- a platform admin acts on everything;
- a charity is managed by its org_admins (token org_id) and, before it has
  any, by the person who applied for it (applicant sub);
- a project is managed by its raising charity; its executing partner charity
  (合作募捐) may post progress feedback on it, nothing else.
"""

from __future__ import annotations

from chalicelib.auth import Principal, Role
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Forbidden, Unauthenticated


def may_manage_org(principal: Principal | None, org: OrgModel) -> bool:
    if principal is None:
        return False
    if principal.is_platform_admin:
        return True
    if principal.role is Role.ORG_ADMIN and principal.org_id == org.org_id:
        return True
    return principal.sub == org.applicant_sub


def require_manage_org(principal: Principal | None, org: OrgModel) -> Principal:
    if principal is None:
        raise Unauthenticated("sign in to do this", code="missing_token")
    if not may_manage_org(principal, org):
        raise Forbidden("you may not act for this charity")
    return principal


def may_manage_project(principal: Principal | None, project: ProjectModel) -> bool:
    if principal is None:
        return False
    if principal.is_platform_admin:
        return True
    return principal.role is Role.ORG_ADMIN and principal.org_id == project.org_id


def require_manage_project(principal: Principal | None, project: ProjectModel) -> Principal:
    if principal is None:
        raise Unauthenticated("sign in to do this", code="missing_token")
    if not may_manage_project(principal, project):
        raise Forbidden("only the raising charity or a platform admin may do this")
    return principal


def is_project_charity(principal: Principal | None, project: ProjectModel) -> bool:
    """The raising charity or the executing partner (may see drafts, may post feedback)."""
    if principal is None or principal.role is not Role.ORG_ADMIN:
        return False
    return principal.org_id in {project.org_id, project.executor_org_id}
