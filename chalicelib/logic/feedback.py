"""Progress feedback (项目反馈): the charity's disclosure of how a project is going.

Posting sets the next due date to now + the project's interval and lifts a
``feedback_overdue`` offline reason. The final report is due 3 months after
the end (``final_report_due_at``); it is satisfied by an entry marked
``is_final`` or by any entry posted after the end date.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.auth import Principal
from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal import feedback as feedback_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.audit import record_status_change
from chalicelib.dal.feedback import FeedbackModel as FeedbackModel  # re-exported for the API
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic.access import is_project_charity
from chalicelib.logic.deadlines import shanghai_month
from chalicelib.logic.projects.rules import FEEDBACK_OVERDUE, SAVE_ATTEMPTS, remove_offline_reason
from chalicelib.logic.visibility import require_visible

ACCEPTS_FEEDBACK = ("online", "offline", "ended")
MAX_IMAGES = 9


class FeedbackInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    image_keys: list[str] = Field(default_factory=list, max_length=MAX_IMAGES)
    amount_used_fen: StrictInt | None = Field(default=None, ge=0, le=100_000_000_000)
    period: str | None = Field(default=None, max_length=50, description="e.g. 2026年第3季度")
    is_final: bool = Field(default=False, description="the final report (结项报告)")


def post_feedback(project_id: str, entry_input: FeedbackInput, principal: Principal) -> FeedbackModel:
    """The raising or the executing charity posts feedback on a live or ended project."""
    for _attempt in range(SAVE_ATTEMPTS):
        project = project_store.get_project(project_id)
        if not is_project_charity(principal, project) or principal.org_id is None:
            raise Forbidden("only the raising or the executing charity posts feedback on this project")
        if project.status not in ACCEPTS_FEEDBACK:
            raise InvalidTransition(f"a project that is {project.status} takes no feedback")
        _check_image_keys(entry_input.image_keys, project_id=project_id, org_id=principal.org_id)
        before = (project.status, [str(r) for r in project.offline_reasons or []], project.updated_at)
        now = utcnow()
        entry = _new_entry(project, entry_input, principal, org_id=principal.org_id, now=now)
        after_end = now > parse_iso(project.end_at)
        project.last_feedback_at = entry.posted_at
        project.feedback_due_at = to_iso(now + timedelta(days=int(project.feedback_interval_days)))
        if (entry_input.is_final or after_end) and not project.final_report_posted_at:
            project.final_report_posted_at = entry.posted_at
        remove_offline_reason(project, FEEDBACK_OVERDUE, now)
        project.updated_at = entry.posted_at
        try:
            feedback_store.post_with_project(
                entry, project, status=before[0], offline_reasons=before[1], updated_at=before[2]
            )
        except Conflict:
            continue
        if project.status != before[0]:
            record_status_change(
                subject_type="project",
                subject_id=project_id,
                from_status=before[0],
                to_status=project.status,
                reason="feedback_posted",
                actor=principal.sub,
            )
        return entry
    raise Conflict("the project keeps changing; retry", code="concurrent_update")


def _check_image_keys(keys: list[str], *, project_id: str, org_id: str) -> None:
    for key in keys:
        if not key.startswith((f"projects/{project_id}/", f"orgs/{org_id}/")):
            raise ValidationFailed(
                "image keys come from POST /projects/{id}/uploads",
                code="unknown_image_key",
                details=[{"field": "image_keys", "code": "unknown_image_key"}],
            )


def _new_entry(
    project: ProjectModel, entry_input: FeedbackInput, principal: Principal, *, org_id: str, now: datetime
) -> FeedbackModel:
    """The entry as posted now, judged on time against the due date the project had."""
    posted_at, feedback_id = to_iso(now), new_id()
    due = project.feedback_due_at
    return FeedbackModel(
        project_id=project.project_id,
        posted_at_id=FeedbackModel.sort_key(posted_at, feedback_id),
        feedback_id=feedback_id,
        posted_at=posted_at,
        org_id=org_id,
        posted_by=principal.sub,
        text=entry_input.text,
        image_keys=list(entry_input.image_keys),
        amount_used_fen=entry_input.amount_used_fen,
        period=entry_input.period,
        is_final=entry_input.is_final,
        due_at_when_posted=due,
        on_time=due is None or now <= parse_iso(due),
        month=shanghai_month(now),
    )


def feedback_history(
    project_id: str, principal: Principal | None, *, limit: int = 50, before: str | None = None
) -> list[FeedbackModel]:
    """The public history, newest first (of a project the caller may see)."""
    require_visible(project_store.get_project(project_id), principal)
    return feedback_store.feedback_of(project_id, limit=limit, before=before)
