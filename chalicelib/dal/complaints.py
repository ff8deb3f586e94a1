"""Complaints (举报) about projects: one item per complaint."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.errors import InvalidTransition, NotFound


class ComplaintsByMonth(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Complaints filed in one month (Asia/Shanghai), for the monthly compliance report."""

    class Meta:
        index_name = "by_month"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ComplaintsByStatusDue(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """The admin queue: complaints of one status by due time, so overdue ones are one Query."""

    class Meta:
        index_name = "by_status_due"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class ComplaintModel(GongyiModel):
    table_suffix = "complaints"

    class Meta:
        table_name = "unbound"

    complaint_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    org_id = UnicodeAttribute()  # the project's raising charity, at filing time
    reason = UnicodeAttribute()
    contact = UnicodeAttribute(null=True)  # reporter's phone/email: admins only, masked elsewhere
    reporter_sub = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # open | answered
    created_at = UnicodeAttribute()
    due_at = UnicodeAttribute()  # end of the 5th working day (Asia/Shanghai)
    responded_at = UnicodeAttribute(null=True)
    responded_by = UnicodeAttribute(null=True)
    response = UnicodeAttribute(null=True)
    answered_on_time = BooleanAttribute(null=True)
    month = UnicodeAttribute()

    by_month = ComplaintsByMonth()
    by_status_due = ComplaintsByStatusDue()


def save_new_complaint(complaint: ComplaintModel) -> None:
    complaint.save(condition=ComplaintModel.complaint_id.does_not_exist())


def get_complaint(complaint_id: str) -> ComplaintModel:
    try:
        return ComplaintModel.get(complaint_id, consistent_read=True)
    except ComplaintModel.DoesNotExist:
        raise NotFound(f"no complaint {complaint_id}", code="complaint_not_found") from None


def complaints_by_status(status: str, *, due_before: str | None = None, limit: int = 100) -> list[ComplaintModel]:
    """Complaints of ``status``, earliest due first; ``due_before`` keeps only those due earlier (overdue)."""
    condition = ComplaintModel.due_at < due_before if due_before else None
    return list(ComplaintModel.by_status_due.query(status, range_key_condition=condition, limit=limit))


def complaints_of_month(month: str) -> list[ComplaintModel]:
    return list(ComplaintModel.by_month.query(month))


def save_answer(complaint: ComplaintModel) -> None:
    """Store the answer of a complaint that was still open (a second answer is refused)."""
    try:
        complaint.save(condition=ComplaintModel.status == "open")
    except PutError as exc:
        if condition_failed(exc):
            raise InvalidTransition("this complaint has already been answered", code="already_answered") from exc
        raise
