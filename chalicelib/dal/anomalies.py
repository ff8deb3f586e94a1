"""Payment anomalies: notifications that were verified but could not be counted
(amount mismatch, unknown donation, expired donation, a donation paid twice).

A platform admin reviews them (``GET /payments/anomalies``). Providers retry a
refused notification for about a day: one item per (provider, transaction,
kind) absorbs the retries (``seen_count`` grows, nothing else repeats).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.base import GongyiModel


class AnomaliesByReview(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Anomalies awaiting review, oldest first. Rare by nature: one key is enough."""

    class Meta:
        index_name = "by_review"
        projection = AllProjection()

    review_status = UnicodeAttribute(hash_key=True)  # open | resolved
    first_seen_at = UnicodeAttribute(range_key=True)


class PaymentAnomalyModel(GongyiModel):
    table_suffix = "payment-anomalies"

    class Meta:
        table_name = "unbound"

    anomaly_key = UnicodeAttribute(hash_key=True)  # f"{provider}#{transaction_id}#{kind}"
    provider = UnicodeAttribute()
    transaction_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # amount_mismatch | unknown_donation | expired | paid_twice | ...
    donation_id = UnicodeAttribute(null=True)
    expected_amount_fen = NumberAttribute(null=True)
    notified_amount_fen = NumberAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    review_status = UnicodeAttribute()
    first_seen_at = UnicodeAttribute()
    last_seen_at = UnicodeAttribute()
    seen_count = NumberAttribute(default=0)

    by_review = AnomaliesByReview()


def record_anomaly(
    *,
    provider: str,
    transaction_id: str,
    kind: str,
    donation_id: str | None,
    expected_amount_fen: int | None,
    notified_amount_fen: int | None,
    detail: str,
) -> None:
    """Record (or count one more sighting of) an anomaly: one UpdateItem, safe to repeat."""
    now = to_iso(utcnow())
    item = PaymentAnomalyModel(anomaly_key=f"{provider}#{transaction_id}#{kind}")
    actions: list[Action] = [
        PaymentAnomalyModel.provider.set(provider),
        PaymentAnomalyModel.transaction_id.set(transaction_id),
        PaymentAnomalyModel.kind.set(kind),
        PaymentAnomalyModel.detail.set(detail),
        PaymentAnomalyModel.review_status.set(PaymentAnomalyModel.review_status | "open"),
        PaymentAnomalyModel.first_seen_at.set(PaymentAnomalyModel.first_seen_at | now),
        PaymentAnomalyModel.last_seen_at.set(now),
        PaymentAnomalyModel.seen_count.add(1),
    ]
    if donation_id:
        actions.append(PaymentAnomalyModel.donation_id.set(donation_id))
    if expected_amount_fen is not None:
        actions.append(PaymentAnomalyModel.expected_amount_fen.set(expected_amount_fen))
    if notified_amount_fen is not None:
        actions.append(PaymentAnomalyModel.notified_amount_fen.set(notified_amount_fen))
    item.update(actions=actions)


def open_anomalies(limit: int = 100) -> list[PaymentAnomalyModel]:
    return list(PaymentAnomalyModel.by_review.query("open", limit=limit))


def record_anomaly_once(
    *,
    provider: str,
    transaction_id: str,
    kind: str,
    donation_id: str | None,
    expected_amount_fen: int | None,
    notified_amount_fen: int | None,
    detail: str,
) -> bool:
    """Record an anomaly found by re-runnable work (reconciliation) unless it is already recorded:
    re-running changes nothing, not even a sighting count. True when recorded now."""
    from pynamodb.exceptions import PutError  # noqa: PLC0415

    from chalicelib.dal.conditions import condition_failed  # noqa: PLC0415

    now = to_iso(utcnow())
    item = PaymentAnomalyModel(
        anomaly_key=f"{provider}#{transaction_id}#{kind}",
        provider=provider,
        transaction_id=transaction_id,
        kind=kind,
        donation_id=donation_id,
        expected_amount_fen=expected_amount_fen,
        notified_amount_fen=notified_amount_fen,
        detail=detail,
        review_status="open",
        first_seen_at=now,
        last_seen_at=now,
        seen_count=1,
    )
    try:
        item.save(condition=PaymentAnomalyModel.anomaly_key.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True
