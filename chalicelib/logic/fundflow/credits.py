"""The raising node's credit from paid donations, applied from the donations stream (never on the pay path)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.dal import fundflow as store
from chalicelib.dal.fundflow import DonationCredit


def credit_of(new: dict[str, Any] | None, old: dict[str, Any] | None) -> DonationCredit | None:
    """The credit a donation change means (plain stream images): paid -> +, paid -> refunded -> -."""
    if not new:
        return None
    status, before = new.get("status"), (old or {}).get("status")
    if status == "paid" and before != "paid":
        kind = "paid"
    elif status == "refunded" and before == "paid":
        kind = "refunded"
    else:
        return None
    return DonationCredit(
        kind=kind,
        donation_id=str(new["donation_id"]),
        project_id=str(new["project_id"]),
        org_id=str(new["org_id"]),
        amount_fen=int(new["amount_fen"]),
    )


def apply_donation_changes(changes: Iterable[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> int:
    """Credit each (new, old) donation image pair exactly once; returns how many were new."""
    credits = [c for new, old in changes if (c := credit_of(new, old)) is not None]
    return store.credit_donations(credits) if credits else 0
