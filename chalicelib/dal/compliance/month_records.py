"""The month's feedback, complaints and paid donations, as the self-check report reads them.

Each is a Query on the month's partition (``by_month``; donations ``by_paid_month``
shards), counted in the run's ``ReadMeter``. (The tables' own modules have
unmetered twins, ``dal.feedback.feedback_of_month`` and
``dal.complaints.complaints_of_month``, for the request paths.)
"""

from __future__ import annotations

from chalicelib.dal.complaints import ComplaintModel
from chalicelib.dal.compliance.meter import ReadMeter
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.feedback import FeedbackModel


def feedback_of_month(month: str, meter: ReadMeter) -> list[FeedbackModel]:
    """Feedback entries posted in ``month`` (Shanghai): project_id, org_id, posted_at, on_time."""
    return meter.drain(FeedbackModel.by_month.query(month))


def complaints_of_month(month: str, meter: ReadMeter) -> list[ComplaintModel]:
    """Complaints received in ``month`` (Shanghai): created_at, due_at, responded_at, answered_on_time."""
    return meter.drain(ComplaintModel.by_month.query(month))


def paid_donations_of_month(month: str, shards: int, meter: ReadMeter) -> list[DonationModel]:
    """Donations paid in ``month`` (Shanghai), merged from the ``by_paid_month`` shards ``YYYY-MM#0..shards-1``."""
    found: list[DonationModel] = []
    for shard in range(shards):
        found += [d for d in meter.drain(DonationModel.by_paid_month.query(f"{month}#{shard}")) if d.status == "paid"]
    return found
