"""Donations: give, confirm a payment exactly once, refund, read.

The money path (DESIGN.md, throughput and delivery rules):

* ``create_donation`` (``give``) is idempotent on the client's ``Idempotency-Key``
  (Powertools Idempotency, DynamoDB persistence) and writes one pending
  donation on a random shard of its project.
* ``confirm_payment`` (``confirm``) turns a verified provider notification into ONE
  transaction (``chalicelib.dal.payments.commit_payment``): replays and
  concurrent duplicates meet the provider-transaction condition and are
  answered with success; anything that cannot count (unknown donation, amount
  mismatch, expired, wrong channel) is refused and recorded as an anomaly.
* ``refund_donation`` (``refund``) is the mirror transaction.
* ``read``: the views of donations (public, the donor's own, one in full) and totals.
* ``project``: the project as donations see it (a briefly cached snapshot) and its counter shards;
  ``retry``: how confirm and refund retry a transaction that lost a race.
"""

from chalicelib.logic.donations.confirm import (
    Settled,
    Settlement,
    anomalies_to_review,
    confirm_payment,
    settle,
)
from chalicelib.logic.donations.give import create_donation, donor_key_for, payment_reference
from chalicelib.logic.donations.project import (
    ProjectSnapshot,
    ensure_accepting,
    forget_cached_projects,
    project_snapshot,
    raise_shards,
)
from chalicelib.logic.donations.read import (
    display_status,
    donation_view,
    my_donations,
    project_totals,
    public_donations,
    visible_donation,
)
from chalicelib.logic.donations.refund import refund_donation, refund_record

__all__ = [
    "ProjectSnapshot",
    "Settled",
    "Settlement",
    "anomalies_to_review",
    "confirm_payment",
    "create_donation",
    "display_status",
    "donation_view",
    "donor_key_for",
    "ensure_accepting",
    "forget_cached_projects",
    "my_donations",
    "payment_reference",
    "project_snapshot",
    "project_totals",
    "public_donations",
    "raise_shards",
    "refund_donation",
    "refund_record",
    "settle",
    "visible_donation",
]
