"""The payment sweeper: pending donations near or past their deadline, asked of their provider.

A lost notification must not lose a payment, and an order gongyi gave up on
must not be payable: every run reads the pending donations due within
``lead`` (``by_pending_deadline``, sparse and sharded: nothing else is read),
queries each at its provider and

* paid -> ``settle``: the same exactly-once transaction a notification uses,
  judged at the provider's payment time (a payment made in time counts even
  when its news arrives late);
* unpaid and within ``close_margin`` of its deadline (or past it) -> closed at
  the provider, then marked expired; a payment that slipped in before the close
  (``ORDERPAID``) is settled instead;
* paid, but too late to count (after the deadline) -> refunded automatically
  (``logic.payments.strays``) and out of the index.

Re-running is harmless: settled and expired donations leave the index, and
``settle`` answers a replay with DUPLICATE.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from chalicelib.clock import parse_iso, to_iso
from chalicelib.config import Settings
from chalicelib.dal.donations import DonationModel, DonationNotPending, mark_expired, pending_due
from chalicelib.errors import DomainError
from chalicelib.logic.donations.confirm import Settled, settle_or_refund
from chalicelib.logic.payments.ordering import time_call
from chalicelib.observability import logger
from chalicelib.payments import OrderState, PaymentNotice, adapter_for


def sweep_pending(
    settings: Settings,
    now: datetime,
    *,
    lead: timedelta = timedelta(minutes=10),
    close_margin: timedelta = timedelta(minutes=2),
) -> dict[str, int]:
    """One sweep; returns how many donations ended how (for logs and tests)."""
    outcomes: Counter[str] = Counter()
    for donation in pending_due(to_iso(now + lead)):
        try:
            outcomes[_sweep_one(settings, donation, now, close_margin)] += 1
        except DomainError as exc:  # the provider is down or said no: next run tries again
            logger.warning("sweep failed", extra={"donation_id": donation.donation_id, "code": exc.code})
            outcomes["retry_later"] += 1
    return dict(outcomes)


def settle_paid(settings: Settings, notice: PaymentNotice, now: datetime) -> str:
    """Settle a payment the provider reports, judged at its payment time; a stray one is refunded."""
    result = settle_or_refund(settings, notice, now=min(now, notice.paid_at))
    if result.result in (Settled.COUNTED, Settled.DUPLICATE):
        return "confirmed"
    if result.result is Settled.REFUNDED:
        return "refunded"
    return f"refused_{result.reason}"


def _sweep_one(settings: Settings, donation: DonationModel, now: datetime, close_margin: timedelta) -> str:
    if donation.channel not in ("wechat", "alipay"):
        # The sandbox has no provider to ask: past its deadline it simply expires.
        if donation.pay_by and parse_iso(donation.pay_by) <= now:
            return _expire(donation.donation_id)
        return "waiting"
    adapter = adapter_for(donation.channel, settings)
    state: OrderState = time_call(lambda: adapter.query_order(donation.donation_id, now))
    if state.paid is not None:
        return settle_paid(settings, state.paid, now)
    assert donation.pay_by is not None
    if parse_iso(donation.pay_by) - now > close_margin:
        return "waiting"
    closed: OrderState = time_call(lambda: adapter.close_order(donation.donation_id, now))
    if closed.paid is not None:  # paid just before the close
        return settle_paid(settings, closed.paid, now)
    return _expire(donation.donation_id)


def _expire(donation_id: str) -> str:
    try:
        mark_expired(donation_id)
    except DonationNotPending:
        return "already_settled"
    return "closed"
