"""Confirming a payment: a verified provider notification counts exactly once.

``confirm_payment`` verifies the notification, ``settle`` commits ONE transaction
(``chalicelib.dal.payments.commit_payment``). Replays and concurrent duplicates
meet the provider-transaction condition and are answered with success; anything
that cannot count (unknown donation, amount mismatch, expired, wrong channel)
is refused and recorded as an anomaly for a platform admin to review.
``settle_or_refund`` then refunds a payment that can never count (paid late, for
an expired donation, or a second payment: ``logic.payments.strays``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import anomalies, payments
from chalicelib.dal.anomalies import PaymentAnomalyModel
from chalicelib.dal.donations import DonationModel, find_donation
from chalicelib.dal.payments import Blocked, PaymentClaim
from chalicelib.logic.donations.retry import MAX_ATTEMPTS, pause_before_retry
from chalicelib.logic.payments.strays import refund_stray_payment
from chalicelib.observability import logger, metrics
from chalicelib.payments import PaymentNotice, ProviderReply, adapter_for


class Settled(StrEnum):
    COUNTED = "counted"
    DUPLICATE = "duplicate"  # already counted: a replay, a concurrent duplicate, or out of order
    PAID_TWICE = "paid_twice"  # the donation was paid by another transaction: acknowledged, for review
    REFUSED = "refused"
    NOT_A_PAYMENT = "not_a_payment"  # verified, but reports no payment (closed, waiting)
    REFUNDED = "refunded"  # cannot count, and is being refunded automatically: acknowledged


@dataclass(frozen=True)
class Settlement:
    result: Settled
    reason: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.result is not Settled.REFUSED


def confirm_payment(
    settings: Settings, provider: str, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
) -> tuple[Settlement, ProviderReply]:
    """Verify a provider's notification, settle it, and answer in the provider's format.

    A bad signature raises ``SignatureInvalid`` (401) before anything is read or written.
    """
    adapter = adapter_for(provider, settings)
    now = now or utcnow()
    notice = adapter.verify_notification(headers, body, now)
    if notice.succeeded:
        settlement = settle_or_refund(settings, notice, now=now)
    else:
        settlement = Settlement(Settled.NOT_A_PAYMENT, notice.state)
    logger.info(
        "payment notification",
        extra={"provider": provider, "donation_id": notice.donation_id, "settled": settlement.result.value},
    )
    reply = adapter.acknowledge() if settlement.acknowledged else adapter.refuse(settlement.reason)
    return settlement, reply


def settle_or_refund(settings: Settings, notice: PaymentNotice, *, now: datetime) -> Settlement:
    """``settle``; a payment that can never count is refunded automatically (REFUNDED)."""
    settlement = settle(notice, now=now)
    if settlement.result in (Settled.REFUSED, Settled.PAID_TWICE) and refund_stray_payment(
        settings, notice, settlement.reason, now=now
    ):
        return Settlement(Settled.REFUNDED, settlement.reason)
    return settlement


def anomalies_to_review(limit: int = 100) -> list[PaymentAnomalyModel]:
    """Verified payments that could not be counted, still open, oldest first."""
    return anomalies.open_anomalies(limit)


def _claim_from_reference(notice: PaymentNotice) -> PaymentClaim | None:
    ref = notice.reference
    if not ref.get("p") or not ref.get("s", "").isdigit():
        return None
    return PaymentClaim(
        provider=notice.provider,
        transaction_id=notice.transaction_id,
        donation_id=notice.donation_id,
        project_id=ref["p"],
        shard=int(ref["s"]),
        amount_fen=notice.amount_fen,
        donor_key=ref.get("d") or None,
        paid_at=notice.paid_at,
    )


def _claim_from_donation(notice: PaymentNotice, donation: DonationModel) -> PaymentClaim:
    return PaymentClaim(
        provider=notice.provider,
        transaction_id=notice.transaction_id,
        donation_id=donation.donation_id,
        project_id=donation.project_id,
        shard=int(donation.shard),
        amount_fen=notice.amount_fen,
        donor_key=donation.donor_key,
        paid_at=notice.paid_at,
    )


def _refuse(notice: PaymentNotice, kind: str, detail: str, donation: DonationModel | None) -> Settlement:
    anomalies.record_anomaly(
        provider=notice.provider,
        transaction_id=notice.transaction_id,
        kind=kind,
        donation_id=notice.donation_id,
        expected_amount_fen=int(donation.amount_fen) if donation is not None else None,
        notified_amount_fen=notice.amount_fen,
        detail=detail,
    )
    metrics.add_metric(name="PaymentAnomaly", unit="Count", value=1)
    return Settlement(Settled.REFUSED, kind)


def _judge(notice: PaymentNotice, donation: DonationModel | None, now: datetime) -> Settlement | None:
    """Why ``donation`` cannot be paid by ``notice`` (a final settlement), or None if it can."""
    if donation is None:
        return _refuse(notice, "unknown_donation", "no donation has this out_trade_no", None)
    if donation.status in ("paid", "refunded"):
        if donation.provider_txn_id == notice.transaction_id and donation.channel == notice.provider:
            return Settlement(Settled.DUPLICATE)
        anomalies.record_anomaly(
            provider=notice.provider,
            transaction_id=notice.transaction_id,
            kind="paid_twice",
            donation_id=donation.donation_id,
            expected_amount_fen=int(donation.amount_fen),
            notified_amount_fen=notice.amount_fen,
            detail=f"already {donation.status} by transaction {donation.provider_txn_id}: refund the second payment",
        )
        return Settlement(Settled.PAID_TWICE, "paid_twice")
    if donation.channel != notice.provider:
        return _refuse(notice, "channel_mismatch", f"the donation was made for {donation.channel}", donation)
    if int(donation.amount_fen) != notice.amount_fen:
        return _refuse(
            notice, "amount_mismatch", f"donation is {donation.amount_fen} fen, paid {notice.amount_fen}", donation
        )
    if donation.status != "pending" or not donation.pay_by or donation.pay_by < to_iso(now):
        return _refuse(notice, "expired", f"the donation had to be paid by {donation.pay_by}", donation)
    return None


def _claim_from_stored(notice: PaymentNotice, now: datetime) -> PaymentClaim | Settlement:
    """The claim as the stored donation says it, or the final settlement when it cannot be paid."""
    donation = find_donation(notice.donation_id)
    verdict = _judge(notice, donation, now)
    if verdict is not None:
        return verdict
    assert donation is not None
    return _claim_from_donation(notice, donation)


def settle(notice: PaymentNotice, *, now: datetime) -> Settlement:
    """Count a verified payment exactly once (see the module docstring)."""
    claim = _claim_from_reference(notice)
    new_donor = True
    for attempt in range(MAX_ATTEMPTS):
        if claim is None:
            stored = _claim_from_stored(notice, now)
            if isinstance(stored, Settlement):
                return stored
            claim = stored
        blocked = payments.commit_payment(claim, new_donor=new_donor, now=now)
        if not blocked:
            metrics.add_metric(name="DonationPaid", unit="Count", value=1)
            return Settlement(Settled.COUNTED)
        if Blocked.TRANSACTION_ID in blocked:
            seen = payments.find_transaction(notice.provider, notice.transaction_id)
            if seen is not None and seen.donation_id == notice.donation_id:
                return Settlement(Settled.DUPLICATE)
            if seen is not None:
                return _refuse(
                    notice, "transaction_reused", f"transaction already paid donation {seen.donation_id}", None
                )
        if Blocked.CONFLICT in blocked:
            pause_before_retry(attempt)
            continue
        if Blocked.DONATION in blocked:
            stored = _claim_from_stored(notice, now)  # the reference was stale or wrong
            if isinstance(stored, Settlement):
                return stored
            claim = stored
        if Blocked.MARKER in blocked:
            new_donor = not new_donor
    raise RuntimeError(f"could not settle {notice.provider} transaction after {MAX_ATTEMPTS} attempts")
