"""Refunds: paid -> refunded, the mirror of confirming a payment.

Totals go down once, in ONE transaction (``chalicelib.dal.payments.commit_refund``),
and the provider's refund request is built and stored for the refund sender.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import payments, refunds
from chalicelib.dal.audit import record_status_change
from chalicelib.dal.donations import DonationModel, find_donation
from chalicelib.dal.payments import Blocked
from chalicelib.dal.refunds import DONATION_REFUND_PREFIX, RefundModel
from chalicelib.errors import Conflict, InvalidTransition, NotFound
from chalicelib.logic.donations.read import donation_view
from chalicelib.logic.donations.retry import MAX_ATTEMPTS, pause_before_retry
from chalicelib.payments import RefundOrder, adapter_for, refund_notify_url


def refund_donation(settings: Settings, donation_id: str, *, reason: str, actor: str) -> dict[str, Any]:
    """paid -> refunded, totals down once, and the provider's refund request built and stored.

    Distinct donors: the donor stops counting when their last paid donation to the
    project is refunded (the marker tracks how many they have).
    """
    now = utcnow()
    donation = find_donation(donation_id)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", code="donation_not_found")
    if donation.status == "refunded":
        _send_if_requested(settings, donation_id)  # a retried request re-sends a refund left unsent
        return donation_view(donation, now=now)
    if donation.status != "paid":
        raise InvalidTransition(f"a {donation.status} donation cannot be refunded", code="donation_not_paid")
    refund = _refund_item(settings, donation, reason=reason, actor=actor, now=now)
    already = _commit_refund(donation, refund, now=now)
    if already is not None:
        return donation_view(already, now=now)
    _send_if_requested(settings, donation_id)
    record_status_change(
        subject_type="donation",
        subject_id=donation_id,
        from_status="paid",
        to_status="refunded",
        reason=reason,
        actor=actor,
    )
    refreshed = find_donation(donation_id)
    assert refreshed is not None
    return donation_view(refreshed, now=now)


def _refund_item(settings: Settings, donation: DonationModel, *, reason: str, actor: str, now: datetime) -> RefundModel:
    """The refund record, with the request built for the donation's provider."""
    adapter = adapter_for(donation.channel, settings)
    refund_id = f"{DONATION_REFUND_PREFIX}{donation.donation_id}"
    request = adapter.build_refund(
        RefundOrder(
            donation_id=donation.donation_id,
            refund_id=refund_id,
            transaction_id=donation.provider_txn_id or "",
            amount_fen=int(donation.amount_fen),
            reason=reason,
            notify_url=refund_notify_url(settings, donation.channel),
        ),
        now,
    )
    refund = RefundModel(
        refund_key=donation.donation_id,
        out_trade_no=donation.donation_id,
        refund_id=refund_id,
        provider=donation.channel,
        amount_fen=int(donation.amount_fen),
        reason=reason,
        requested_by=actor,
        # The sandbox "provider" refunds at once; real providers get the stored request.
        status="succeeded" if donation.channel == "sandbox" else "requested",
        provider_request=json.dumps(request.as_dict(), ensure_ascii=False),
        created_at=to_iso(now),
    )
    if refund.status == "succeeded":
        refund.mark_succeeded_at(now)
    return refund


def _commit_refund(donation: DonationModel, refund: RefundModel, *, now: datetime) -> DonationModel | None:
    """Commit the refund transaction; None once committed here, or the donation when a
    concurrent refund got there first."""
    last_of_donor = True
    for attempt in range(MAX_ATTEMPTS):
        blocked = payments.commit_refund(donation, refund, last_of_donor=last_of_donor, now=now)
        if not blocked:
            return None
        if Blocked.CONFLICT in blocked:
            pause_before_retry(attempt)
            continue
        if Blocked.DONATION in blocked or Blocked.REFUND in blocked:
            current = find_donation(donation.donation_id)
            if current is not None and current.status == "refunded":
                return current
            raise Conflict("the donation changed while refunding it; try again", code="refund_conflict")
        if Blocked.MARKER in blocked:
            last_of_donor = not last_of_donor
    raise RuntimeError(f"could not refund {donation.donation_id} after {MAX_ATTEMPTS} attempts")


def _send_if_requested(settings: Settings, donation_id: str) -> None:
    """Hand a ``requested`` refund to the refund sender (the money leaves there, with retries)."""
    record = refunds.find_refund(donation_id)
    if record is not None and record.status == "requested":
        refunds.enqueue_refund(settings, donation_id)


def refund_record(donation_id: str) -> RefundModel | None:
    return refunds.find_refund(donation_id)
