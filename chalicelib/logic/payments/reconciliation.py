"""Daily reconciliation (对账): each provider's bill of a Shanghai day against gongyi's books.

For every configured provider: download the day's bill, keep the raw file
(reports bucket), and match it line by line with the donations gongyi counted
that day and the refunds it sent:

* ``paid_not_counted``: in the bill, not counted by gongyi. If the donation is
  still pending, it is recovered through the sweeper's path (query the order,
  ``settle`` exactly once) and reported as ``recovered``; otherwise an anomaly.
* ``missing_from_bill``: counted by gongyi, absent from the bill.
* ``amount_differs``: in both, with different amounts.
* a payment that could never count and was refunded automatically
  (``logic.payments.strays``) is listed as ``stray_refunded``, not a difference;
* refunds, both ways (``logic.payments.refund_matching``): ``refund_not_recorded``,
  ``refund_amount_differs``, ``refund_missing_from_bill``.

Every difference is an anomaly keyed (provider, transaction, kind), and the
day's result item is overwritten with the same content: re-running a day adds
nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.clock import SHANGHAI, to_iso
from chalicelib.config import Settings
from chalicelib.dal import anomalies, reconciliations, refunds
from chalicelib.dal.donations import DonationModel, find_donation
from chalicelib.dal.refunds import RefundModel
from chalicelib.logic.payments.refund_matching import match_refunds
from chalicelib.logic.payments.sweeper import settle_paid
from chalicelib.payments import BillLine, ChannelUnavailable, adapter_for

PROVIDERS = ("wechat", "alipay")


def previous_day(now: datetime) -> date:
    return (now.astimezone(SHANGHAI) - timedelta(days=1)).date()


def reconcile_day(settings: Settings, day: date, now: datetime) -> dict[str, Any]:
    """Reconcile ``day`` (Asia/Shanghai) for every configured provider; the day's results."""
    results: dict[str, Any] = {}
    for provider in PROVIDERS:
        try:
            adapter = adapter_for(provider, settings)
        except ChannelUnavailable:
            continue  # not configured on this stage
        raw, lines = adapter.fetch_bill(day, now)
        bill_key = reconciliations.store_bill(settings, provider, day.isoformat(), raw)
        result = _match(settings, provider, day, lines, now)
        reconciliations.save_result(day.isoformat(), provider, result, bill_key, to_iso(now))
        results[provider] = result
    return {"day": day.isoformat(), "providers": results}


def _ours(settings: Settings, provider: str, day: date) -> dict[str, DonationModel]:
    start = datetime.combine(day, time.min, SHANGHAI)
    end = start + timedelta(days=1) - timedelta(microseconds=1)
    months = sorted({f"{start:%Y-%m}", f"{end:%Y-%m}"})
    found = reconciliations.paid_between(to_iso(start), to_iso(end), months)
    return {d.provider_txn_id: d for d in found if d.channel == provider and d.provider_txn_id}


def _difference(provider: str, kind: str, line_or_donation: Any, detail: str, **amounts: int | None) -> dict[str, Any]:
    transaction_id = getattr(line_or_donation, "transaction_id", None) or line_or_donation.provider_txn_id
    anomalies.record_anomaly_once(
        provider=provider,
        transaction_id=transaction_id,
        kind=kind,
        donation_id=line_or_donation.donation_id,
        expected_amount_fen=amounts.get("ours"),
        notified_amount_fen=amounts.get("bill"),
        detail=detail,
    )
    return {"kind": kind, "transaction_id": transaction_id, "donation_id": line_or_donation.donation_id, **amounts}


def _not_counted_that_day(settings: Settings, provider: str, line: BillLine, now: datetime) -> tuple[str, Any]:
    """A bill payment gongyi did not count on the day: counted (another day or shard; the
    donation), stray (refunded automatically), recovered now, or a difference."""
    donation = find_donation(line.donation_id)
    if donation is not None and donation.provider_txn_id == line.transaction_id:
        return "counted", donation
    if refunds.find_refund(RefundModel.stray_key(provider, line.transaction_id)) is not None:
        return "stray", line.transaction_id
    if donation is not None and donation.status == "pending" and _recover(settings, provider, donation, now):
        return "recovered", line.donation_id
    detail = "paid at the provider, not counted"
    return "difference", _difference(provider, "paid_not_counted", line, detail, bill=line.amount_fen)


def _match(settings: Settings, provider: str, day: date, lines: list[BillLine], now: datetime) -> dict[str, Any]:
    ours = _ours(settings, provider, day)
    differences: list[dict[str, Any]] = []
    recovered: list[str] = []
    strays: list[str] = []
    bins: dict[str, list[Any]] = {"stray": strays, "recovered": recovered, "difference": differences}
    seen: set[str] = set()
    paid_lines = [line for line in lines if line.kind == "payment"]
    for line in paid_lines:
        seen.add(line.transaction_id)
        donation = ours.get(line.transaction_id)
        if donation is None:
            outcome, found = _not_counted_that_day(settings, provider, line, now)
            if outcome != "counted":
                bins[outcome].append(found)
                continue
            donation = found
        if int(donation.amount_fen) != line.amount_fen:
            differences.append(
                _difference(
                    provider,
                    "amount_differs",
                    line,
                    f"gongyi counted {donation.amount_fen} fen, the bill says {line.amount_fen}",
                    ours=int(donation.amount_fen),
                    bill=line.amount_fen,
                )
            )
    for transaction_id, donation in sorted(ours.items()):
        if transaction_id not in seen:
            differences.append(
                _difference(
                    provider,
                    "missing_from_bill",
                    donation,
                    "counted by gongyi, absent from the bill",
                    ours=int(donation.amount_fen),
                )
            )
    refund_result = match_refunds(provider, day, [line for line in lines if line.kind == "refund"])
    differences += refund_result.pop("differences")
    return {
        "bill_payments": len(paid_lines),
        "bill_payments_fen": sum(line.amount_fen for line in paid_lines),
        "counted_payments": len(ours),
        "counted_payments_fen": sum(int(d.amount_fen) for d in ours.values()),
        "recovered": sorted(recovered),
        "stray_refunded": sorted(strays),
        **refund_result,
        "differences": sorted(differences, key=lambda d: (d["kind"], d["transaction_id"])),
    }


def _recover(settings: Settings, provider: str, donation: DonationModel, now: datetime) -> bool:
    state = adapter_for(provider, settings).query_order(donation.donation_id, now)
    return state.paid is not None and settle_paid(settings, state.paid, now) == "confirmed"


def reconciliation_of_day(day: str) -> dict[str, Any]:
    """The stored result of ``day`` (what ``GET /payments/reconciliations/{date}`` shows)."""
    import json  # noqa: PLC0415

    items = reconciliations.results_of_day(day)
    return {
        "day": day,
        "providers": {
            item.provider: {**json.loads(item.result), "bill_key": item.bill_key, "reconciled_at": item.reconciled_at}
            for item in items
        },
    }
