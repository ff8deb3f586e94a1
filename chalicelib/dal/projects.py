"""Fundraising projects: one item per project.

Amount raised and donor counts are NOT stored here: every donation would
write this one item (see DESIGN.md). They live in sharded counters.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.errors import Conflict, NotFound


class ProjectsByOrg(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_org"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ProjectsByStatusFeedbackDue(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Projects of one status by next feedback due time (feedback sweep, reminders)."""

    class Meta:
        index_name = "by_status_feedback_due"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    feedback_due_at = UnicodeAttribute(range_key=True)


class ProjectsByStatusEnd(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Projects of one status by end time (end-date job)."""

    class Meta:
        index_name = "by_status_end"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    end_at = UnicodeAttribute(range_key=True)


class ProjectModel(GongyiModel):
    table_suffix = "projects"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_AND_OLD_IMAGES"  # search indexes projects from this stream

    project_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()  # the qualified charity raising the money
    executor_org_id = UnicodeAttribute(null=True)  # partner charity executing it (合作募捐)
    title = UnicodeAttribute()
    summary = UnicodeAttribute()
    description = UnicodeAttribute()
    category = UnicodeAttribute()
    province = UnicodeAttribute()
    city = UnicodeAttribute()
    beneficiary = UnicodeAttribute()
    target_fen = NumberAttribute()
    start_date = UnicodeAttribute()  # YYYY-MM-DD (Asia/Shanghai)
    end_date = UnicodeAttribute()
    start_at = UnicodeAttribute()  # UTC ISO of the start of start_date in Shanghai
    end_at = UnicodeAttribute()  # UTC ISO of the end of end_date in Shanghai
    filing_number = UnicodeAttribute()
    feedback_interval_days = NumberAttribute(default=90)
    cover_image_key = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # draft|pending_review|online|offline|rejected|ended|closed
    offline_reasons = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    reject_reason = UnicodeAttribute(null=True)
    feedback_due_at = UnicodeAttribute(null=True)
    final_report_due_at = UnicodeAttribute(null=True)
    final_report_posted_at = UnicodeAttribute(null=True)  # first final report (or feedback after the end)
    last_feedback_at = UnicodeAttribute(null=True)
    campaign_ids = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    counter_shards = NumberAttribute(default=10)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    by_org = ProjectsByOrg()
    by_status_feedback_due = ProjectsByStatusFeedbackDue()
    by_status_end = ProjectsByStatusEnd()


PUBLIC_STATUSES = ("online", "offline", "ended", "closed")


def create_project(project: ProjectModel) -> None:
    project.save(condition=ProjectModel.project_id.does_not_exist())


def get_project(project_id: str) -> ProjectModel:
    try:
        return ProjectModel.get(project_id, consistent_read=True)
    except ProjectModel.DoesNotExist:
        raise NotFound(f"no project {project_id}", code="project_not_found") from None


def projects_of_org(org_id: str, *, limit: int = 100) -> list[ProjectModel]:
    """The charity's projects, newest first (raised by it; see ``executed_by`` for partners)."""
    return list(ProjectModel.by_org.query(org_id, scan_index_forward=False, limit=limit))


def projects_by_status(status: str, *, limit: int = 100) -> list[ProjectModel]:
    """Projects of one status, earliest end first (e.g. the review queue)."""
    return list(ProjectModel.by_status_end.query(status, limit=limit))


def save_project_if(project: ProjectModel, *, status: str, offline_reasons: list[str], updated_at: str) -> None:
    """Write ``project`` only if status, offline reasons and updated_at are still what was read.

    The compliance jobs add offline reasons directly; this condition makes a
    concurrent change of theirs fail our write instead of being overwritten.
    """
    try:
        project.save(condition=unchanged_since(status=status, offline_reasons=offline_reasons, updated_at=updated_at))
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict("the project changed meanwhile; reload and retry", code="concurrent_update") from exc
        raise


def unchanged_since(*, status: str, offline_reasons: list[str], updated_at: str) -> Condition:
    """The condition "status, offline reasons and updated_at are still what was read"."""
    condition = (ProjectModel.status == status) & (ProjectModel.updated_at == updated_at)
    if offline_reasons:
        condition &= ProjectModel.offline_reasons == list(offline_reasons)
    else:
        condition &= ProjectModel.offline_reasons.does_not_exist() | (ProjectModel.offline_reasons == [])
    return condition


def attach_to_campaign(project: ProjectModel, campaign_id: str) -> bool:
    """Note the campaign on the project (for display; the membership table is the truth).

    False if the project already listed it (a replay).
    """
    try:
        project.update(
            actions=[ProjectModel.campaign_ids.set(ProjectModel.campaign_ids.append([campaign_id]))],
            condition=~ProjectModel.campaign_ids.contains(campaign_id),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def get_projects(project_ids: list[str]) -> list[ProjectModel]:
    """Several projects in as few BatchGetItem requests as possible, in the order asked (missing ones left out)."""
    found = {p.project_id: p for p in ProjectModel.batch_get(project_ids)}
    return [found[pid] for pid in project_ids if pid in found]


# -- compliance slice --
# The queries the compliance jobs are keyed on (never a Scan; each counts what it read in a ``ReadMeter``)
# and the state changes they make, each ONE transaction with its audit record and notices.
from collections.abc import Iterable  # noqa: E402
from typing import Any  # noqa: E402

from chalicelib.dal.compliance.changes import Audit, ChangeResult, change_item  # noqa: E402
from chalicelib.dal.compliance.meter import ReadMeter  # noqa: E402
from chalicelib.dal.outbox import Notice  # noqa: E402


def projects_feedback_due(status: str, due_by: str, meter: ReadMeter) -> list[ProjectModel]:
    """Projects of ``status`` whose next feedback was due at or before ``due_by`` (inclusive)."""
    return meter.drain(ProjectModel.by_status_feedback_due.query(status, ProjectModel.feedback_due_at <= due_by))


def projects_feedback_due_between(status: str, after: str, until: str, meter: ReadMeter) -> list[ProjectModel]:
    """Projects of ``status`` whose next feedback is due in (after, until]."""
    # BETWEEN is inclusive on both ends; the one at exactly ``after`` is already overdue: drop it.
    found = meter.drain(
        ProjectModel.by_status_feedback_due.query(status, ProjectModel.feedback_due_at.between(after, until))
    )
    return [p for p in found if p.feedback_due_at and p.feedback_due_at > after]


def projects_ended_by(status: str, end_by: str, meter: ReadMeter) -> list[ProjectModel]:
    """Projects of ``status`` whose end time is at or before ``end_by``."""
    return meter.drain(ProjectModel.by_status_end.query(status, ProjectModel.end_at <= end_by))


def every_project_of_org(org_id: str, meter: ReadMeter) -> list[ProjectModel]:
    """All the projects a charity raises (GSI ``by_org``), unpaged."""
    return meter.drain(ProjectModel.by_org.query(org_id))


def count_projects_by_status(statuses: Iterable[str], meter: ReadMeter) -> dict[str, int]:
    """How many projects have each status (Select=COUNT Queries: no item leaves DynamoDB)."""
    return {status: meter.count(ProjectModel.by_status_end.count(status)) for status in statuses}


def _offline_actions(reason: str, at: str) -> list[Any]:
    return [
        ProjectModel.status.set("offline"),
        ProjectModel.offline_reasons.set((ProjectModel.offline_reasons | []).append([reason])),
        ProjectModel.updated_at.set(at),
    ]


def take_offline_overdue(
    project: ProjectModel, reason: str, *, as_of: str, job_run: str, notices: Iterable[Notice] = ()
) -> ChangeResult:
    """An online project whose feedback is still due at or before ``as_of`` goes offline with ``reason``.

    Other offline reasons are kept. ``changed`` is False when it no longer qualifies (a replay,
    or the feedback was posted meanwhile).
    """
    return change_item(
        project,
        actions=_offline_actions(reason, as_of),
        condition=(ProjectModel.status == "online") & (ProjectModel.feedback_due_at <= as_of),
        audit=Audit("project", project.project_id, "online", "offline", reason, job_run),
        at=as_of,
        notices=notices,
    )


def take_offline(
    project: ProjectModel, reason: str, *, at: str, job_run: str, notices: Iterable[Notice] = ()
) -> ChangeResult:
    """``project`` goes offline with ``reason`` added to its offline reasons.

    ``changed`` is False when its status changed since it was read, or it already has ``reason``.
    """
    from_status = project.status
    return change_item(
        project,
        actions=_offline_actions(reason, at),
        condition=(ProjectModel.status == from_status) & ~ProjectModel.offline_reasons.contains(reason),
        audit=Audit("project", project.project_id, from_status, "offline", reason, job_run),
        at=at,
        notices=notices,
    )


def mark_ended(
    project: ProjectModel,
    reason: str,
    *,
    final_report_due_at: str,
    at: str,
    job_run: str,
    notices: Iterable[Notice] = (),
) -> ChangeResult:
    """``project`` past its end time (``end_at <= at``) ends: no more donations, offline reasons cleared.

    ``changed`` is False when its status changed since it was read (a replay ends nothing twice).
    """
    from_status = project.status
    return change_item(
        project,
        actions=[
            ProjectModel.status.set("ended"),
            ProjectModel.offline_reasons.set([]),
            ProjectModel.final_report_due_at.set(final_report_due_at),
            ProjectModel.updated_at.set(at),
        ],
        condition=(ProjectModel.status == from_status) & (ProjectModel.end_at <= at),
        audit=Audit("project", project.project_id, from_status, "ended", reason, job_run),
        at=at,
        notices=notices,
    )


# -- imports slice --

from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class ProjectFacts:
    """What an import needs of a project."""

    project_id: str
    org_id: str
    executor_org_id: str | None
    status: str
    counter_shards: int


def find_project_facts(project_id: str) -> ProjectFacts | None:
    """What an import needs of a project, or None when it does not exist."""
    try:
        project = ProjectModel.get(
            project_id,
            attributes_to_get=["project_id", "org_id", "executor_org_id", "status", "counter_shards"],
        )
    except ProjectModel.DoesNotExist:
        return None
    return ProjectFacts(
        project.project_id, project.org_id, project.executor_org_id, project.status, int(project.counter_shards or 1)
    )


# -- donations slice --


def find_project(project_id: str) -> ProjectModel | None:
    """The project, or None (an eventually consistent read: donations cache it briefly anyway)."""
    try:
        return ProjectModel.get(project_id)
    except ProjectModel.DoesNotExist:
        return None
