"""Sending refunds to the providers: ``requested -> sent -> succeeded | failed``.

The totals went down once, when the refund was committed
(``logic.donations.refund``); what is left is the money. The refund sender
(``refunds`` queue) sends each refund with the HTTP client's bounded retries; a
provider outage raises, so the message comes back (SQS visibility timeout is
the back-off, ``maxReceiveCount`` the bound, then the dead-letter queue). A
refund the provider has accepted but not finished (``sent``) is queried on each
redelivery until the refund notification or a query settles it. A failed
refund is recorded as an anomaly for platform admins. Refunds are named by their
key (``chalicelib.dal.refunds``): a donation's, or a stray payment's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.dal import anomalies, refunds
from chalicelib.dal.donations import find_donation
from chalicelib.dal.refunds import RefundModel
from chalicelib.logic.payments.ordering import time_call
from chalicelib.observability import logger, metrics
from chalicelib.payments import ProviderReply, RefundOrder, RefundState, adapter_for, refund_notify_url


class RefundStillPending(Exception):
    """The provider accepted the refund but has not finished it: ask again later (redelivery)."""


def _refund_order(settings: Settings, refund: RefundModel) -> RefundOrder:
    transaction_id = refund.transaction_id
    if not transaction_id:  # a donation's refund: the transaction that paid it
        donation = find_donation(refund.donation_id)
        assert donation is not None
        transaction_id = donation.provider_txn_id or ""
    return RefundOrder(
        donation_id=refund.donation_id,
        refund_id=refund.refund_id,
        transaction_id=transaction_id,
        amount_fen=int(refund.amount_fen),
        reason=refund.reason,
        notify_url=refund_notify_url(settings, refund.provider),
    )


def refund_key_of_message(body: str) -> str:
    """The refund a ``refunds`` queue message names (messages sent before stray refunds say ``donation_id``)."""
    data = json.loads(body)
    return str(data.get("refund_key") or data["donation_id"])


def send_refund(settings: Settings, refund_key: str, *, now: datetime | None = None) -> str:
    """Send (or follow up) the refund ``refund_key``; its status afterwards. Safe to repeat."""
    now = now or utcnow()
    refund = refunds.find_refund(refund_key)
    if refund is None or refund.status in ("succeeded", "failed"):
        return refund.status if refund else "no_refund"
    order = _refund_order(settings, refund)
    adapter = adapter_for(refund.provider, settings)
    if refund.status == "sent":
        state: RefundState = time_call(lambda: adapter.query_refund(order, now))
    else:
        # Idempotent at the provider (out_refund_no / out_request_no): a resend is the same refund.
        state = time_call(lambda: adapter.send_refund(order, now))
    status = record_refund_state(refund.provider, refund_key, state, amount_fen=int(refund.amount_fen))
    if status == "sent":
        raise RefundStillPending(refund_key)
    return status


def record_refund_state(provider: str, refund_key: str, state: RefundState, *, amount_fen: int) -> str:
    """Apply what the provider said; the refund's status afterwards."""
    if state.status in ("sent", "succeeded", "failed"):
        if state.status == "succeeded":
            refunds.advance_refund(refund_key, "sent", provider_refund_id=state.provider_refund_id)
        moved = refunds.advance_refund(
            refund_key,
            state.status,
            provider=provider,
            provider_refund_id=state.provider_refund_id,
            detail=state.detail,
            succeeded_at=state.succeeded_at,
        )
        if moved and state.status == "failed":
            current = refunds.find_refund(refund_key)
            anomalies.record_anomaly(
                provider=provider,
                transaction_id=f"refund-{refund_key}",
                kind="refund_failed",
                donation_id=current.donation_id if current else refund_key,
                expected_amount_fen=amount_fen,
                notified_amount_fen=None,
                detail=f"the provider refused the refund: {state.detail}",
            )
            metrics.add_metric(name="RefundFailed", unit="Count", value=1)
    current = refunds.find_refund(refund_key)
    logger.info("refund", extra={"refund_key": refund_key, "status": current.status if current else None})
    return current.status if current else "no_refund"


def on_refund_notification(settings: Settings, provider: str, headers: Mapping[str, str], body: bytes) -> ProviderReply:
    """WeChat's ``REFUND.SUCCESS``/``ABNORMAL``: verified like payments, applied once."""
    adapter = adapter_for(provider, settings)
    verify = getattr(adapter, "verify_refund_notification", None)
    if verify is None:
        return adapter.refuse(f"{provider} sends no refund notifications here")
    notice = verify(headers, body, utcnow())
    state = RefundState(
        "succeeded" if notice.status == "succeeded" else "failed",
        detail=notice.status,
        succeeded_at=notice.succeeded_at,
    )
    refund_key = RefundModel.key_of_refund_id(provider, notice.refund_id) if notice.refund_id else notice.donation_id
    record_refund_state(provider, refund_key, state, amount_fen=notice.amount_fen)
    return adapter.acknowledge()
