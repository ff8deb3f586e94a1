"""The month's feedback, complaints and paid donations, as the self-check report reads them.

Each is a Query on the month's partition (``by_month``; donations ``by_paid_month``
shards), counted in the run's ``ReadMeter``. (The tables' own modules have
unmetered twins, ``dal.feedback.feedback_of_month`` and
``dal.complaints.complaints_of_month``, for the request paths.)
"""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.dal.complaints import ComplaintModel
from chalicelib.dal.compliance.meter import ReadMeter
from chalicelib.dal.donations import PAID_MONTH_SHARDS, DonationModel
from chalicelib.dal.feedback import FeedbackModel


def feedback_of_month(month: str, meter: ReadMeter) -> list[FeedbackModel]:
    """Feedback entries posted in ``month`` (Shanghai): project_id, org_id, posted_at, on_time."""
    return meter.drain(FeedbackModel.by_month.query(month))


def complaints_of_month(month: str, meter: ReadMeter) -> list[ComplaintModel]:
    """Complaints received in ``month`` (Shanghai): created_at, due_at, responded_at, answered_on_time."""
    return meter.drain(ComplaintModel.by_month.query(month))


def paid_donations_of_month(month: str, meter: ReadMeter, *, page_size: int = 500) -> Iterator[DonationModel]:
    """Donations paid in ``month`` (Shanghai), shard after shard of ``by_paid_month``
    (``YYYY-MM#0..PAID_MONTH_SHARDS-1``), one page of Query at a time: a generator, so the
    caller's memory holds one page, however many gifts the month had."""
    for shard in range(PAID_MONTH_SHARDS):
        results = DonationModel.by_paid_month.query(f"{month}#{shard}", page_size=page_size)
        yield from (d for d in meter.stream(results) if d.status == "paid")
