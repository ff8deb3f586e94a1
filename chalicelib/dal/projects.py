"""Fundraising projects: one item per project.

Amount raised and donor counts are NOT stored here: every donation would
write this one item (see DESIGN.md). They live in sharded counters.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.orgs import condition_failed
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
    condition = (ProjectModel.status == status) & (ProjectModel.updated_at == updated_at)
    if offline_reasons:
        condition &= ProjectModel.offline_reasons == list(offline_reasons)
    else:
        condition &= ProjectModel.offline_reasons.does_not_exist() | (ProjectModel.offline_reasons == [])
    try:
        project.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict("the project changed meanwhile; reload and retry", code="concurrent_update") from exc
        raise


def get_projects(project_ids: list[str]) -> list[ProjectModel]:
    """Several projects in as few BatchGetItem requests as possible, in the order asked (missing ones left out)."""
    found = {p.project_id: p for p in ProjectModel.batch_get(project_ids)}
    return [found[pid] for pid in project_ids if pid in found]


# -- donations slice --


def find_project(project_id: str) -> ProjectModel | None:
    """The project, or None (an eventually consistent read: donations cache it briefly anyway)."""
    try:
        return ProjectModel.get(project_id)
    except ProjectModel.DoesNotExist:
        return None
