"""End dates (hourly): projects past their end time become ``ended``.

- ``online`` projects with ``end_at <= as_of`` (inclusive) end; donations are
  refused from then on (the donation route accepts only ``online`` projects).
- ``offline`` projects past their end date end too: their fundraising period is
  over whatever kept them offline, and leaving them ``offline`` would let a late
  feedback post bring them back online after the filed end date. Their
  ``offline_reasons`` are cleared (the audit record keeps the history), so
  "offline iff offline_reasons is non-empty" still holds.
- ``final_report_due_at`` = end + 3 calendar months (Shanghai calendar).
- An ``ended`` project whose final report is overdue (still ``ended``, not
  ``closed``, at ``final_report_due_at``) flags its charity: one alert to the
  charity and the platform per project. Closing a project (``POST
  /projects/{id}/close``, once the final report is in) takes it out of the index.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.clock import to_iso
from chalicelib.dal.outbox import Notice, notify_all
from chalicelib.dal.projects import mark_ended, projects_ended_by
from chalicelib.logic.compliance.notices import org_recipient, to_charity_and_platform
from chalicelib.logic.compliance.runner import JobContext
from chalicelib.logic.deadlines import FINAL_REPORT_MONTHS, add_months, final_report_due_iso

REASON = "end_date_passed"
ENDING_STATUSES = ("online", "offline")


def end_projects(ctx: JobContext) -> dict[str, Any]:
    ended = notified = due = 0
    for status in ENDING_STATUSES:
        for project in projects_ended_by(status, ctx.as_of_iso, ctx.meter):
            due += 1
            report_due = final_report_due_iso(project.end_at)
            result = mark_ended(
                project,
                REASON,
                final_report_due_at=report_due,
                at=ctx.as_of_iso,
                job_run=ctx.run_id,
                notices=[
                    Notice(
                        recipient=org_recipient(project.org_id),
                        dedupe_key=f"project_ended|{project.project_id}",
                        kind="project_ended",
                        message=f"项目「{project.title}」已到结束日期，停止接受捐赠。请于 {report_due} 前发布结项报告。",
                        subject_id=project.project_id,
                    )
                ],
            )
            ended += result.changed
            notified += result.notified
    overdue, flagged = flag_overdue_final_reports(ctx)
    return {"due": due, "ended": ended, "notified": notified, "final_reports_overdue": overdue, "flagged": flagged}


def flag_overdue_final_reports(ctx: JobContext) -> tuple[int, int]:
    # end + 3 months <= as_of  <=>  end <= as_of - 3 months, up to month-length clamping (31 Jan + 1 month
    # = 28 Feb): query with a few days' slack, then compare the exact due time.
    end_by = to_iso(add_months(ctx.as_of, -FINAL_REPORT_MONTHS) + timedelta(days=4))
    overdue = [
        p
        for p in projects_ended_by("ended", end_by, ctx.meter)
        if (p.final_report_due_at or final_report_due_iso(p.end_at)) <= ctx.as_of_iso
    ]
    notices = []
    for project in overdue:
        report_due = project.final_report_due_at or final_report_due_iso(project.end_at)
        notices += to_charity_and_platform(
            project.org_id,
            dedupe_key=f"final_report_overdue|{project.project_id}|{report_due}",
            kind="final_report_overdue",
            message=f"项目「{project.title}」的结项报告已于 {report_due} 逾期未发布。",
            subject_id=project.project_id,
        )
    return len(overdue), notify_all(notices)
