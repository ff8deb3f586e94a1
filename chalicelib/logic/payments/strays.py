"""Stray payments: verified payments that can never count are refunded automatically.

A payment can reach gongyi for a donation it cannot count: paid after the
donation's deadline (the provider's clock or expiry let it through just before
the sweeper closed the order), reported for a donation gongyi already expired,
or a second payment (another transaction id) of a donation already paid. The
money is the donor's: it goes back without waiting for an admin.

The refund is keyed by (provider, transaction id) (``chalicelib.dal.refunds``):
however often the provider reports the payment (its retries, the sweeper, the
reconciliation) it is stored once and sent once, through the refund sender.
Totals never counted the payment, so they do not move. Admins see it twice:
the anomaly that refused it, and an ``auto_refund`` anomaly naming the refund;
a refund the provider refuses becomes ``refund_failed`` like any other.

A payment refused as ``expired`` while it was made in time (its notification
merely came late) is NOT stray: the sweeper counts it at its payment time.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

from chalicelib.clock import to_iso
from chalicelib.config import Settings
from chalicelib.dal import anomalies, refunds
from chalicelib.dal.donations import DonationNotPending, find_donation, mark_expired
from chalicelib.dal.refunds import STRAY_REFUND_PREFIX, RefundModel
from chalicelib.observability import logger, metrics
from chalicelib.payments import PaymentNotice, RefundOrder, adapter_for, refund_notify_url

STRAY_REASONS = ("expired", "paid_twice")
REFUNDING_PROVIDERS = ("wechat", "alipay")  # the sandbox moves no money


def _is_stray(notice: PaymentNotice, reason: str) -> bool:
    """Whether the refused payment can never count (see the module docstring)."""
    if reason == "paid_twice":
        return True
    donation = find_donation(notice.donation_id)
    if donation is None or donation.status in ("paid", "refunded"):
        return False  # paid by this very transaction meanwhile, or unknown: not ours to refund
    return donation.status == "expired" or not donation.pay_by or donation.pay_by < to_iso(notice.paid_at)


def _stray_refund(settings: Settings, notice: PaymentNotice, reason: str, now: datetime) -> RefundModel:
    refund_id = f"{STRAY_REFUND_PREFIX}{notice.transaction_id}"
    text = "捐赠已过期，款项原路退回" if reason == "expired" else "重复支付，款项原路退回"
    request = adapter_for(notice.provider, settings).build_refund(
        RefundOrder(
            donation_id=notice.donation_id,
            refund_id=refund_id,
            transaction_id=notice.transaction_id,
            amount_fen=notice.amount_fen,
            reason=text,
            notify_url=refund_notify_url(settings, notice.provider),
        ),
        now,
    )
    return RefundModel(
        refund_key=RefundModel.stray_key(notice.provider, notice.transaction_id),
        refund_id=refund_id,
        provider=notice.provider,
        amount_fen=notice.amount_fen,
        reason=text,
        requested_by="system:stray-payment",
        status="requested",
        provider_request=json.dumps(request.as_dict(), ensure_ascii=False),
        created_at=to_iso(now),
        out_trade_no=notice.donation_id,
        transaction_id=notice.transaction_id,
        stray_reason=reason,
    )


def refund_stray_payment(settings: Settings, notice: PaymentNotice, reason: str, *, now: datetime) -> bool:
    """Refund a verified payment refused for ``reason`` if it can never count; True when it is
    (now or before) being refunded. Safe to repeat: one refund per (provider, transaction id)."""
    if reason not in STRAY_REASONS or notice.provider not in REFUNDING_PROVIDERS or not _is_stray(notice, reason):
        return False
    refund = _stray_refund(settings, notice, reason, now)
    if refunds.save_new_refund(refund):
        anomalies.record_anomaly_once(
            provider=notice.provider,
            transaction_id=notice.transaction_id,
            kind="auto_refund",
            donation_id=notice.donation_id,
            expected_amount_fen=None,
            notified_amount_fen=notice.amount_fen,
            detail=f"the payment cannot count ({reason}): refunded automatically as {refund.refund_id}",
        )
        metrics.add_metric(name="StrayPaymentRefunded", unit="Count", value=1)
        logger.info("stray payment refunded", extra={"donation_id": notice.donation_id, "reason": reason})
    if reason == "expired":
        with contextlib.suppress(DonationNotPending):  # already expired (or paid meanwhile)
            mark_expired(notice.donation_id)  # out of the sweeper's index: nothing is left to close
    stored = refunds.find_refund(refund.refund_key)
    if stored is not None and stored.status == "requested":
        refunds.enqueue_refund(settings, refund.refund_key)  # a repeat re-sends one left unsent
    return True
