"""Projects: drafting, review and the lifecycle.

    draft -> pending_review -> online -> ended -> closed
                   |              ^ |
                   v              | v
                rejected        offline   (while offline_reasons is non-empty)

A project is ``offline`` iff ``offline_reasons`` is non-empty: ``suspended``
(an admin), ``feedback_overdue`` / ``certificate_expired`` (compliance jobs).
When the last reason goes, it is ``online`` again, or ``ended`` past its end.
Every status change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.auth import Principal
from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.audit import record_status_change
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic.access import require_manage_project
from chalicelib.logic.deadlines import end_of_day_iso, final_report_due_iso, shanghai_day, start_of_day_iso
from chalicelib.logic.orgs import certificate_valid

Category = Literal["扶贫济困", "医疗救助", "教育助学", "灾害救助", "乡村振兴", "环境保护", "其他"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
Province = Literal[
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
]  # fmt: skip
MAX_TARGET_FEN = 100_000_000_000  # ¥10亿
# The rules ask for disclosure at least every 3 months on projects over 6 months.
MAX_FEEDBACK_INTERVAL_DAYS = 90
SUSPENDED, FEEDBACK_OVERDUE, CERTIFICATE_EXPIRED = "suspended", "feedback_overdue", "certificate_expired"
EDITABLE_WHILE_LIVE = {"summary", "description", "beneficiary", "cover_image_key"}
SAVE_ATTEMPTS = 3


class ProjectDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=4, max_length=60)
    summary: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    category: Category
    province: Province
    city: str = Field(min_length=1, max_length=30)
    beneficiary: str = Field(min_length=1, max_length=500, description="who benefits, and how")
    target_fen: StrictInt = Field(gt=0, le=MAX_TARGET_FEN, description="fundraising target in fen")
    start_date: date = Field(description="first day of fundraising (Asia/Shanghai)")
    end_date: date = Field(description="last day of fundraising (Asia/Shanghai)")
    filing_number: str = Field(min_length=1, max_length=64, description="募捐方案备案编号")
    executor_org_id: str | None = Field(default=None, max_length=40, description="executing partner charity (合作募捐)")
    feedback_interval_days: StrictInt = Field(default=90, ge=7, le=MAX_FEEDBACK_INTERVAL_DAYS)
    cover_image_key: str | None = Field(default=None, max_length=300)


class ProjectEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=4, max_length=60)
    summary: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=20_000)
    category: Category | None = None
    province: Province | None = None
    city: str | None = Field(default=None, min_length=1, max_length=30)
    beneficiary: str | None = Field(default=None, min_length=1, max_length=500)
    target_fen: StrictInt | None = Field(default=None, gt=0, le=MAX_TARGET_FEN)
    start_date: date | None = None
    end_date: date | None = None
    filing_number: str | None = Field(default=None, min_length=1, max_length=64)
    executor_org_id: str | None = Field(default=None, max_length=40)
    feedback_interval_days: StrictInt | None = Field(default=None, ge=7, le=MAX_FEEDBACK_INTERVAL_DAYS)
    cover_image_key: str | None = Field(default=None, max_length=300)


# -- rules -------------------------------------------------------------------------------------


def require_fundraising_qualification(org: OrgModel, today: date) -> None:
    """Only an approved charity holding a valid 公开募捐资格证书 may raise money publicly."""
    if org.status != "approved":
        raise Conflict(f"the raising charity is {org.status}, not approved", code="org_not_approved")
    if org.fundraising is None:
        raise Conflict(
            "the raising charity has no public-fundraising qualification; raise through a qualified charity (合作募捐)",
            code="fundraising_qualification_required",
        )
    if not certificate_valid(org.fundraising, today):
        raise Conflict(
            "the raising charity's public-fundraising qualification is not valid today",
            code="fundraising_qualification_expired",
        )


def status_without_reasons(project: ProjectModel, now: datetime) -> str:
    """Where a project with no offline reason stands: online, or ended past its end."""
    return "ended" if now > parse_iso(project.end_at) else "online"


def _check_dates(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(
            "end_date is before start_date",
            code="end_before_start",
            details=[{"field": "end_date", "code": "end_before_start"}],
        )


def _check_image_key(key: str | None, project: ProjectModel, field: str) -> None:
    allowed = (f"orgs/{project.org_id}/", f"projects/{project.project_id}/")
    if key is not None and not key.startswith(allowed):
        raise ValidationFailed(
            f"{field} must be a key handed out by an upload route of this charity or project",
            code="unknown_image_key",
            details=[{"field": field, "code": "unknown_image_key"}],
        )


def _check_executor(executor_org_id: str | None, org_id: str) -> str | None:
    if executor_org_id is None or executor_org_id == org_id:
        return None
    executor = org_store.find_org(executor_org_id)
    if executor is None or executor.status != "approved":
        raise ValidationFailed(
            "the executing partner must be an approved charity",
            code="executor_not_approved",
            details=[{"field": "executor_org_id", "code": "executor_not_approved"}],
        )
    return executor_org_id


def _apply_dates(project: ProjectModel, start: date, end: date) -> None:
    project.start_date, project.end_date = start.isoformat(), end.isoformat()
    project.start_at, project.end_at = start_of_day_iso(start), end_of_day_iso(end)
    # Known from the end date; kept on the item so whoever ends the project need not compute it.
    project.final_report_due_at = final_report_due_iso(project.end_at)


# -- drafting ----------------------------------------------------------------------------------


def create_project(draft: ProjectDraft, principal: Principal, settings: Settings) -> ProjectModel:
    """An org_admin drafts a project raised by their (approved) charity."""
    if principal.org_id is None:
        raise Forbidden("only a charity's admin creates projects")
    org = org_store.get_org(principal.org_id)
    if org.status != "approved":
        raise Conflict(f"the charity is {org.status}, not approved", code="org_not_approved")
    _check_dates(draft.start_date, draft.end_date)
    if draft.end_date < shanghai_day(utcnow()):
        raise ValidationFailed(
            "end_date is in the past", code="end_in_past", details=[{"field": "end_date", "code": "end_in_past"}]
        )
    now = to_iso(utcnow())
    project = ProjectModel(
        project_id=new_id(),
        org_id=org.org_id,
        executor_org_id=_check_executor(draft.executor_org_id, org.org_id),
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
    _apply_dates(project, draft.start_date, draft.end_date)
    _check_image_key(project.cover_image_key, project, "cover_image_key")
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
            project.executor_org_id = _check_executor(edit.executor_org_id, project.org_id)
        if changed & {"start_date", "end_date"}:
            start = edit.start_date or date.fromisoformat(project.start_date)
            end = edit.end_date or date.fromisoformat(project.end_date)
            _check_dates(start, end)
            _apply_dates(project, start, end)
        _check_image_key(project.cover_image_key, project, "cover_image_key")
        return None

    return mutate_project(project_id, change, actor=principal.sub if principal else "anonymous")


# -- lifecycle ---------------------------------------------------------------------------------


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


def _require_status(project: ProjectModel, *allowed: str) -> None:
    if project.status not in allowed:
        raise InvalidTransition(f"the project is {project.status}; this needs {' or '.join(allowed)}")


def submit_project(project_id: str, principal: Principal) -> ProjectModel:
    def change(project: ProjectModel) -> str:
        require_manage_project(principal, project)
        _require_status(project, "draft", "rejected")
        require_fundraising_qualification(org_store.get_org(project.org_id), shanghai_day(utcnow()))
        project.status, project.reject_reason = "pending_review", None
        return "submitted"

    return mutate_project(project_id, change, actor=principal.sub)


def approve_project(project_id: str, principal: Principal) -> ProjectModel:
    """Put a reviewed project online: its raising charity must be qualified today."""

    def change(project: ProjectModel) -> str:
        _require_status(project, "pending_review")
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
        _require_status(project, "pending_review")
        project.status, project.reject_reason = "rejected", reason
        return "rejected"

    return mutate_project(project_id, change, actor=principal.sub)


def remove_offline_reason(project: ProjectModel, reason: str, now: datetime) -> None:
    """Drop one offline reason; with none left the project is live again (or ended)."""
    project.offline_reasons = [r for r in project.offline_reasons or [] if r != reason]
    if project.status == "offline" and not project.offline_reasons:
        project.status = status_without_reasons(project, now)


def suspend_project(project_id: str, principal: Principal) -> ProjectModel:
    def change(project: ProjectModel) -> str | None:
        _require_status(project, "online", "offline")
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
        _require_status(project, "ended")
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
