"""Money events as public ledger entries: ids, amounts, times, parties as charity/payee ids.

No donor name, phone, account or subject: a donation entry names the donation
id (a random ULID printed nowhere but on its receipt), its project, raising
charity, amount, channel and time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Image = dict[str, Any] | None


@dataclass(frozen=True)
class LedgerEvent:
    event_id: str
    body: dict[str, Any]

    def text(self) -> str:
        """Canonical JSON (sorted keys, no spaces, UTF-8): the exact bytes of the leaf."""
        return json.dumps(
            {"v": 1, "event": self.event_id, **self.body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )


def donation_event_id(donation_id: str, kind: str) -> str:
    return f"donation:{donation_id}:{kind}"


def donation_events(new: Image, old: Image) -> list[LedgerEvent]:
    if not new:
        return []
    status, before = new.get("status"), (old or {}).get("status")
    base = {
        "donation": new["donation_id"],
        "project": new["project_id"],
        "org": new["org_id"],
        "amount_fen": int(new["amount_fen"]),
    }
    if status == "paid" and before != "paid":
        kind = "imported" if new.get("channel") == "import" else "paid"
        body = {**base, "type": f"donation_{kind}", "channel": new.get("channel"), "at": new.get("paid_at")}
        return [LedgerEvent(donation_event_id(str(new["donation_id"]), "paid"), body)]
    if status == "refunded" and before == "paid":
        body = {**base, "type": "donation_refunded", "at": new.get("refunded_at")}
        return [LedgerEvent(donation_event_id(str(new["donation_id"]), "refunded"), body)]
    return []


def disbursement_events(new: Image, old: Image) -> list[LedgerEvent]:
    if not new:
        return []
    status, before = new.get("status"), (old or {}).get("status")
    if status == before or status not in ("approved", "confirmed"):
        return []
    body = {
        "type": f"disbursement_{status}",
        "disbursement": new["disbursement_id"],
        "project": new["project_id"],
        "from_org": new["from_org_id"],
        "to_kind": new["to_kind"],
        "to": new["to_id"],
        "amount_fen": int(new["amount_fen"]),
        "at": new.get("confirmed_at") if status == "confirmed" else new.get("decided_at"),
    }
    return [LedgerEvent(f"disbursement:{new['disbursement_id']}:{status}", body)]


def use_events(new: Image, old: Image) -> list[LedgerEvent]:
    if not new or old:
        return []
    body = {
        "type": "funds_used",
        "use": new["use_id"],
        "project": new["project_id"],
        "org": new["org_id"],
        "amount_fen": int(new["amount_fen"]),
        "category": new["category"],
        "at": new["created_at"],
    }
    return [LedgerEvent(f"use:{new['use_id']}:recorded", body)]
