"""Drafting a project and editing it; images uploaded for it."""

from __future__ import annotations

from datetime import date

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.audit import record_status_change
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic.access import is_project_charity, require_manage_project
from chalicelib.logic.deadlines import shanghai_day
from chalicelib.logic.projects.inputs import ProjectDraft, ProjectEdit
from chalicelib.logic.projects.lifecycle import mutate_project
from chalicelib.logic.projects.rules import (
    EDITABLE_WHILE_LIVE,
    apply_dates,
    check_dates,
    check_executor,
    check_image_key,
)
from chalicelib.logic.uploads import UploadGrant, grant_upload


def create_project(draft: ProjectDraft, principal: Principal, settings: Settings) -> ProjectModel:
    """An org_admin drafts a project raised by their (approved) charity."""
    if principal.org_id is None:
        raise Forbidden("only a charity's admin creates projects")
    org = org_store.get_org(principal.org_id)
    if org.status != "approved":
        raise Conflict(f"the charity is {org.status}, not approved", code="org_not_approved")
    check_dates(draft.start_date, draft.end_date)
    if draft.end_date < shanghai_day(utcnow()):
        raise ValidationFailed(
            "end_date is in the past", code="end_in_past", details=[{"field": "end_date", "code": "end_in_past"}]
        )
    now = to_iso(utcnow())
    project = ProjectModel(
        project_id=new_id(),
        org_id=org.org_id,
        executor_org_id=check_executor(draft.executor_org_id, org.org_id),
        title=draft.title.strip(),
        summary=draft.summary,
        description=draft.description,
        category=draft.category,
        province=draft.province,
        city=draft.city,
        beneficiary=draft.beneficiary,
        target_fen=draft.target_fen,
        filing_number=draft.filing_number,
        feedback_interval_days=draft.feedback_interval_days,
        cover_image_key=draft.cover_image_key,
        status="draft",
        offline_reasons=[],
        campaign_ids=[],
        counter_shards=settings.default_counter_shards,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    apply_dates(project, draft.start_date, draft.end_date)
    check_image_key(project.cover_image_key, project, "cover_image_key")
    project_store.create_project(project)
    record_status_change(
        subject_type="project",
        subject_id=project.project_id,
        from_status=None,
        to_status="draft",
        reason="created",
        actor=principal.sub,
    )
    return project


def edit_project(project_id: str, edit: ProjectEdit, principal: Principal | None) -> ProjectModel:
    """Edit a project. Before it is online anything may change; once live only the
    descriptive fields (summary, description, beneficiary, cover); never after it ended."""
    changed = {
        name
        for name in edit.model_fields_set
        if getattr(edit, name) is not None or name in {"executor_org_id", "cover_image_key"}
    }

    def change(project: ProjectModel) -> str | None:
        require_manage_project(principal, project)
        if project.status in ("ended", "closed"):
            raise InvalidTransition(f"a project that is {project.status} cannot be edited", code="project_not_editable")
        if project.status in ("online", "offline") and changed - EDITABLE_WHILE_LIVE:
            raise Conflict(
                "once online only summary, description, beneficiary and cover_image_key may change: "
                + ", ".join(sorted(changed - EDITABLE_WHILE_LIVE)),
                code="field_locked_while_online",
            )
        for name in changed - {"start_date", "end_date", "executor_org_id"}:
            setattr(project, name, getattr(edit, name))
        if "executor_org_id" in changed:
            project.executor_org_id = check_executor(edit.executor_org_id, project.org_id)
        if changed & {"start_date", "end_date"}:
            start = edit.start_date or date.fromisoformat(project.start_date)
            end = edit.end_date or date.fromisoformat(project.end_date)
            check_dates(start, end)
            apply_dates(project, start, end)
        check_image_key(project.cover_image_key, project, "cover_image_key")
        return None

    return mutate_project(project_id, change, actor=principal.sub if principal else "anonymous")


def project_image_upload(
    project_id: str, content_type: str, principal: Principal | None, settings: Settings
) -> UploadGrant:
    """A presigned URL to upload an image for the project (its raising or executing charity)."""
    project = project_store.get_project(project_id)
    if not is_project_charity(principal, project):
        raise Forbidden("only the raising or the executing charity uploads images for this project")
    return grant_upload(settings, prefix=f"projects/{project_id}/images", content_type=content_type)
