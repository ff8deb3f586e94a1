"""Reconciling refunds (对账, the refund half): a bill's refund lines against gongyi's refunds, both ways.

gongyi's side is ``provider``'s refunds that succeeded on the Shanghai day
(``by_succeeded_day``: a Query on each of its shards, no Scan, no hot key), filed
by the provider's success time so that they fall on the bill's day. A bill line
names its refund by our out_refund_no (``RF<donation>`` or ``RS<transaction>``),
so a line whose refund gongyi filed on another day is still found, by its key.

* ``refund_not_recorded``: refunded at the provider, but gongyi has no such
  refund (one made in the merchant console) or has it as failed;
* ``refund_amount_differs``: both have it, with different amounts;
* ``refund_missing_from_bill``: succeeded at gongyi that day, absent from the bill.

A refund gongyi sent but had not yet heard back about (``requested``/``sent``) is
proved by the bill: it moves to ``succeeded`` (``recovered_refunds``), not a
difference. Differences are anomalies keyed (provider, out_refund_no, kind),
recorded once: re-running a day adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.clock import SHANGHAI
from chalicelib.dal import anomalies, refunds
from chalicelib.dal.refunds import RefundModel
from chalicelib.logic.payments.refunds import record_refund_state
from chalicelib.payments import BillLine, RefundState


def _difference(
    provider: str, kind: str, refund_id: str, donation_id: str, detail: str, *, ours: int | None, bill: int | None
) -> dict[str, Any]:
    anomalies.record_anomaly_once(
        provider=provider,
        transaction_id=refund_id,
        kind=kind,
        donation_id=donation_id,
        expected_amount_fen=ours,
        notified_amount_fen=bill,
        detail=detail,
    )
    return {"kind": kind, "transaction_id": refund_id, "donation_id": donation_id, "ours": ours, "bill": bill}


def _line_time(line: BillLine) -> datetime | None:
    try:
        return datetime.strptime(line.at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def _recover(provider: str, refund: RefundModel, line: BillLine) -> None:
    """The bill proves a refund gongyi was still waiting on: it succeeded, at the bill's time."""
    state = RefundState("succeeded", detail="found in the provider's bill", succeeded_at=_line_time(line))
    record_refund_state(provider, refund.refund_key, state, amount_fen=int(refund.amount_fen))


def _check_line(provider: str, line: BillLine, refund: RefundModel | None) -> dict[str, Any] | None:
    refund_id = line.refund_id or "?"
    if refund is None or refund.status == "failed":
        detail = "refunded at the provider; gongyi " + ("recorded it as failed" if refund else "has no such refund")
        return _difference(
            provider, "refund_not_recorded", refund_id, line.donation_id, detail, ours=None, bill=line.amount_fen
        )
    if int(refund.amount_fen) != line.amount_fen:
        detail = f"gongyi refunded {refund.amount_fen} fen, the bill says {line.amount_fen}"
        return _difference(
            provider,
            "refund_amount_differs",
            refund_id,
            refund.donation_id,
            detail,
            ours=int(refund.amount_fen),
            bill=line.amount_fen,
        )
    return None


def match_refunds(provider: str, day: date, lines: list[BillLine]) -> dict[str, Any]:
    """The refund lines of ``provider``'s bill of ``day`` against gongyi's refunds."""
    ours = {r.refund_key: r for r in refunds.refunds_succeeded_on(provider, day.isoformat())}
    differences: list[dict[str, Any]] = []
    recovered: list[str] = []
    seen: set[str] = set()
    for line in lines:
        key = RefundModel.key_of_refund_id(provider, line.refund_id) if line.refund_id else line.donation_id
        seen.add(key)
        refund = ours.get(key) or refunds.find_refund(key)
        if refund is not None and refund.status in ("requested", "sent"):
            _recover(provider, refund, line)
            recovered.append(refund.refund_id)
        found = _check_line(provider, line, refund)
        if found is not None:
            differences.append(found)
    for key, refund in sorted(ours.items()):
        if key not in seen:
            differences.append(
                _difference(
                    provider,
                    "refund_missing_from_bill",
                    refund.refund_id,
                    refund.donation_id,
                    "refunded by gongyi (succeeded), absent from the bill",
                    ours=int(refund.amount_fen),
                    bill=None,
                )
            )
    return {
        "bill_refunds": len(lines),
        "bill_refunds_fen": sum(line.amount_fen for line in lines),
        "gongyi_refunds": len(ours),
        "gongyi_refunds_fen": sum(int(r.amount_fen) for r in ours.values()),
        "recovered_refunds": sorted(recovered),
        "differences": differences,
    }
