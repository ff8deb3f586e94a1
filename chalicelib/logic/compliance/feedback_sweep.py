"""Feedback sweep (hourly): online projects whose feedback is overdue go offline.

Overdue means ``feedback_due_at <= as_of``: the deadline is inclusive — at the
due instant itself the feedback is late. The project gets the reason
``feedback_overdue`` appended to ``offline_reasons`` (other reasons are kept),
one audit record, and one notice to its charity and to the platform. Posting
the missing feedback (``POST /projects/{id}/feedback``) removes the reason and
brings it back online when nothing else keeps it offline.
"""

from __future__ import annotations

from typing import Any

from chalicelib.dal.projects import ProjectModel, projects_feedback_due, take_offline_overdue
from chalicelib.logic.compliance.notices import to_charity_and_platform
from chalicelib.logic.compliance.runner import JobContext

REASON = "feedback_overdue"


def overdue_projects(ctx: JobContext) -> list[ProjectModel]:
    return projects_feedback_due("online", ctx.as_of_iso, ctx.meter)


def sweep(ctx: JobContext) -> dict[str, Any]:
    due = overdue_projects(ctx)
    offline = notified = 0
    for project in due:
        due_at = project.feedback_due_at or ""
        result = take_offline_overdue(
            project,
            REASON,
            as_of=ctx.as_of_iso,
            job_run=ctx.run_id,
            notices=to_charity_and_platform(
                project.org_id,
                dedupe_key=f"{REASON}|{project.project_id}|{due_at}",
                kind=REASON,
                message=(
                    f"项目「{project.title}」的进展反馈已于 {due_at} 到期未发布，项目已自动下线。"
                    "发布反馈后项目将自动恢复上线。"
                ),
                subject_id=project.project_id,
            ),
        )
        offline += result.changed
        notified += result.notified
    return {"due": len(due), "taken_offline": offline, "notified": notified}
