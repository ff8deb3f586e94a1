"""Reminders (daily): 7, 3 and 1 days before a feedback due date, remind the charity.

Days are Shanghai calendar days: a project due on 12-08 (Shanghai) is 7 days
away on 12-01. A run reminds at the tightest threshold reached (7, 3 or 1;
"due today" counts as 1), once per (project, due date, threshold) — however
often it runs. A run that was missed does not send the looser reminders late.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.clock import parse_iso, to_iso
from chalicelib.dal.outbox import Notice, notify_all
from chalicelib.dal.projects import projects_feedback_due_between
from chalicelib.logic.compliance.calendar import shanghai_day, start_of_shanghai_day
from chalicelib.logic.compliance.notices import org_recipient
from chalicelib.logic.compliance.runner import JobContext

THRESHOLDS = (1, 3, 7)


def threshold_for(days_left: int) -> int | None:
    """The tightest reminder threshold that ``days_left`` has reached, or None if too early."""
    for threshold in THRESHOLDS:
        if days_left <= threshold:
            return threshold
    return None


def remind(ctx: JobContext) -> dict[str, Any]:
    today = shanghai_day(ctx.as_of)
    window_end = start_of_shanghai_day(today + timedelta(days=max(THRESHOLDS) + 1))
    upcoming = projects_feedback_due_between("online", ctx.as_of_iso, to_iso(window_end), ctx.meter)
    notices = []
    for project in upcoming:
        due_at = project.feedback_due_at or ""
        days_left = (shanghai_day(parse_iso(due_at)) - today).days
        threshold = threshold_for(days_left)
        if threshold is None:
            continue
        when = "今天" if days_left == 0 else f"{days_left} 天后"
        notices.append(
            Notice(
                recipient=org_recipient(project.org_id),
                dedupe_key=f"feedback_reminder|{project.project_id}|{due_at}|{threshold}d",
                kind="feedback_reminder",
                message=f"项目「{project.title}」的进展反馈将于{when}（{due_at}）到期，请按时发布，逾期项目将自动下线。",
                subject_id=project.project_id,
            )
        )
    return {"due": len(notices), "reminded": notify_all(notices)}
