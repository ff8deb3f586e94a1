"""The review lifecycle: submit, approve, reject, suspend, resume, close; every change audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from chalicelib.auth import Principal
from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.audit import record_status_change
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Conflict, InvalidTransition
from chalicelib.logic.access import require_manage_project
from chalicelib.logic.deadlines import shanghai_day
from chalicelib.logic.orgs import certificate_valid
from chalicelib.logic.projects.rules import (
    CERTIFICATE_EXPIRED,
    SAVE_ATTEMPTS,
    SUSPENDED,
    remove_offline_reason,
    require_fundraising_qualification,
)


def mutate_project(project_id: str, change: Callable[[ProjectModel], str | None], *, actor: str) -> ProjectModel:
    """Read, ``change`` in memory, write back if nobody changed it meanwhile (else retry).

    ``change`` raises to refuse and returns the audit reason of a status change
    (None: no status change). A project ``change`` leaves untouched is not written.
    """
    for _attempt in range(SAVE_ATTEMPTS):
        project = project_store.get_project(project_id)
        before = (project.status, [str(r) for r in project.offline_reasons or []], project.updated_at)
        snapshot = project.serialize()
        reason = change(project)
        if project.serialize() == snapshot:
            return project
        project.updated_at = to_iso(utcnow())
        try:
            project_store.save_project_if(project, status=before[0], offline_reasons=before[1], updated_at=before[2])
        except Conflict:
            continue
        if project.status != before[0]:
            record_status_change(
                subject_type="project",
                subject_id=project_id,
                from_status=before[0],
                to_status=project.status,
                reason=reason,
                actor=actor,
            )
        return project
    raise Conflict("the project keeps changing; retry", code="concurrent_update")


def require_status(project: ProjectModel, *allowed: str) -> None:
    if project.status not in allowed:
        raise InvalidTransition(f"the project is {project.status}; this needs {' or '.join(allowed)}")


def submit_project(project_id: str, principal: Principal) -> ProjectModel:
    def change(project: ProjectModel) -> str:
        require_manage_project(principal, project)
        require_status(project, "draft", "rejected")
        require_fundraising_qualification(org_store.get_org(project.org_id), shanghai_day(utcnow()))
        project.status, project.reject_reason = "pending_review", None
        return "submitted"

    return mutate_project(project_id, change, actor=principal.sub)


def approve_project(project_id: str, principal: Principal) -> ProjectModel:
    """Put a reviewed project online: its raising charity must be qualified today."""

    def change(project: ProjectModel) -> str:
        require_status(project, "pending_review")
        now = utcnow()
        require_fundraising_qualification(org_store.get_org(project.org_id), shanghai_day(now))
        if now > parse_iso(project.end_at):
            raise Conflict("the project's end date has passed; edit it first", code="project_end_passed")
        project.status = "online"
        if project.feedback_due_at is None:
            project.feedback_due_at = to_iso(now + timedelta(days=int(project.feedback_interval_days)))
        return "approved"

    return mutate_project(project_id, change, actor=principal.sub)


def reject_project(project_id: str, reason: str, principal: Principal) -> ProjectModel:
    def change(project: ProjectModel) -> str:
        require_status(project, "pending_review")
        project.status, project.reject_reason = "rejected", reason
        return "rejected"

    return mutate_project(project_id, change, actor=principal.sub)


def suspend_project(project_id: str, principal: Principal) -> ProjectModel:
    def change(project: ProjectModel) -> str | None:
        require_status(project, "online", "offline")
        if SUSPENDED in (project.offline_reasons or []):
            return None  # already suspended: a replay changes nothing
        project.offline_reasons = [*(project.offline_reasons or []), SUSPENDED]  # type: ignore[list-item]
        project.status = "offline"
        return SUSPENDED

    return mutate_project(project_id, change, actor=principal.sub)


def resume_project(project_id: str, principal: Principal) -> ProjectModel:
    def change(project: ProjectModel) -> str:
        if project.status != "offline" or SUSPENDED not in (project.offline_reasons or []):
            raise InvalidTransition("the project is not suspended")
        remove_offline_reason(project, SUSPENDED, utcnow())
        return "resumed"

    return mutate_project(project_id, change, actor=principal.sub)


def close_project(project_id: str, principal: Principal) -> ProjectModel:
    """Close an ended project. Its charity needs the final report posted first; a
    platform admin may close it regardless (e.g. a charity that was deregistered)."""

    def change(project: ProjectModel) -> str:
        require_manage_project(principal, project)
        require_status(project, "ended")
        if not principal.is_platform_admin and not project.final_report_posted_at:
            raise Conflict("post the final report (feedback with is_final) before closing", code="final_report_missing")
        project.status = "closed"
        return "closed"

    return mutate_project(project_id, change, actor=principal.sub)


def restore_after_certificate_renewal(org: OrgModel, *, actor: str) -> None:
    """After a charity's renewed certificates are approved, lift ``certificate_expired``."""
    today = shanghai_day(utcnow())
    if not certificate_valid(org.registration, today) or (
        org.fundraising is not None and not certificate_valid(org.fundraising, today)
    ):
        return
    for project in project_store.projects_of_org(org.org_id):
        if project.status != "offline" or CERTIFICATE_EXPIRED not in (project.offline_reasons or []):
            continue

        def change(current: ProjectModel) -> str:
            remove_offline_reason(current, CERTIFICATE_EXPIRED, utcnow())
            return "certificate_renewed"

        mutate_project(project.project_id, change, actor=actor)
