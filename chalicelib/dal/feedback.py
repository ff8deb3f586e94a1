"""Progress feedback (项目反馈): one item per entry a charity posts on a project."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.projects import ProjectModel, unchanged_since
from chalicelib.dal.transactions import connection_for
from chalicelib.errors import Conflict


class FeedbackByMonth(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Every entry posted in one month (Asia/Shanghai): the monthly compliance report reads it."""

    class Meta:
        index_name = "by_month"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM
    posted_at = UnicodeAttribute(range_key=True)


class FeedbackModel(GongyiModel):
    table_suffix = "feedback"

    class Meta:
        table_name = "unbound"

    project_id = UnicodeAttribute(hash_key=True)
    posted_at_id = UnicodeAttribute(range_key=True)  # f"{posted_at}#{feedback_id}": time order, no collisions
    feedback_id = UnicodeAttribute()
    posted_at = UnicodeAttribute()
    org_id = UnicodeAttribute()  # the charity that posted it (raising or executing partner)
    posted_by = UnicodeAttribute()  # user sub
    text = UnicodeAttribute()
    image_keys = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    amount_used_fen = NumberAttribute(null=True)
    period = UnicodeAttribute(null=True)
    is_final = BooleanAttribute(default=False)
    due_at_when_posted = UnicodeAttribute(null=True)
    on_time = BooleanAttribute()
    month = UnicodeAttribute()

    by_month = FeedbackByMonth()

    @staticmethod
    def sort_key(posted_at: str, feedback_id: str) -> str:
        return f"{posted_at}#{feedback_id}"


def save_feedback(entry: FeedbackModel) -> None:
    entry.save(condition=FeedbackModel.posted_at_id.does_not_exist())


def feedback_of(project_id: str, *, limit: int = 50, before: str | None = None) -> list[FeedbackModel]:
    """The project's entries, newest first; ``before`` is the posted_at_id to continue after."""
    condition = FeedbackModel.posted_at_id < before if before else None
    return list(FeedbackModel.query(project_id, range_key_condition=condition, scan_index_forward=False, limit=limit))


def find_feedback(project_id: str, feedback_id: str) -> FeedbackModel | None:
    """The project's post with ``feedback_id``, or None. Reads the project's feedback partition
    (its sort key starts with the post time): a project posts a few dozen entries in its life."""
    found = FeedbackModel.query(project_id, filter_condition=FeedbackModel.feedback_id == feedback_id)
    return next(iter(found), None)


def feedback_of_month(month: str) -> list[FeedbackModel]:
    return list(FeedbackModel.by_month.query(month))


def post_with_project(
    entry: FeedbackModel, project: ProjectModel, *, status: str, offline_reasons: list[str], updated_at: str
) -> None:
    """Store the entry and the project's new due dates/status in one transaction,
    only if the project is still as it was read (see ``save_project_if``)."""
    condition = unchanged_since(status=status, offline_reasons=offline_reasons, updated_at=updated_at)
    connection = connection_for(ProjectModel)
    try:
        with TransactWrite(connection=connection) as tx:
            tx.save(entry, condition=FeedbackModel.posted_at_id.does_not_exist())
            tx.save(project, condition=condition)
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Conflict("the project changed meanwhile; reload and retry", code="concurrent_update") from exc
        raise
