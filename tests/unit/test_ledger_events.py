"""Which stream changes become ledger entries and node credits, and what an entry may say."""

from __future__ import annotations

import json

from chalicelib.logic.fundflow.credits import credit_of
from chalicelib.logic.ledger.events import disbursement_events, donation_events, use_events

DONATION = {
    "donation_id": "D1",
    "project_id": "P1",
    "org_id": "O1",
    "amount_fen": 8_888,
    "channel": "wechat",
    "paid_at": "2026-12-02T01:00:00Z",
    "donor_name": "陈晨",
    "donor_phone": "13912340000",
    "donor_sub": "sub-chen",
    "message": "加油",
}


def test_a_paid_donation_is_one_entry_without_personal_data() -> None:
    events = donation_events({**DONATION, "status": "paid"}, {**DONATION, "status": "pending"})
    assert [e.event_id for e in events] == ["donation:D1:paid"]
    text = events[0].text()
    body = json.loads(text)
    assert body["type"] == "donation_paid" and body["amount_fen"] == 8_888
    for private in ("陈晨", "13912340000", "sub-chen", "加油"):
        assert private not in text
    # canonical: sorted keys, no spaces
    assert text == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_transitions() -> None:
    paid, pending = {**DONATION, "status": "paid"}, {**DONATION, "status": "pending"}
    refunded = {**DONATION, "status": "refunded", "refunded_at": "2026-12-03T00:00:00Z"}
    assert donation_events(paid, paid) == []  # an unrelated change of a paid donation
    assert donation_events(pending, None) == []
    assert [e.event_id for e in donation_events(refunded, paid)] == ["donation:D1:refunded"]
    imported = donation_events({**paid, "channel": "import"}, None)
    assert imported[0].body["type"] == "donation_imported"
    assert credit_of(paid, pending) is not None and credit_of(paid, pending).kind == "paid"  # type: ignore[union-attr]
    assert credit_of(refunded, paid).kind == "refunded"  # type: ignore[union-attr]
    assert credit_of(paid, paid) is None and credit_of(None, paid) is None


def test_disbursement_and_use_events() -> None:
    base = {
        "disbursement_id": "X1",
        "project_id": "P1",
        "from_org_id": "O1",
        "to_kind": "payee",
        "to_id": "Y1",
        "amount_fen": 100,
        "decided_at": "t1",
        "confirmed_at": "t2",
    }
    pending, approved = {**base, "status": "pending"}, {**base, "status": "approved"}
    confirmed, rejected = {**base, "status": "confirmed"}, {**base, "status": "rejected"}
    assert disbursement_events(pending, None) == []
    assert disbursement_events(rejected, pending) == []
    assert [e.event_id for e in disbursement_events(approved, pending)] == ["disbursement:X1:approved"]
    assert [e.event_id for e in disbursement_events(confirmed, approved)] == ["disbursement:X1:confirmed"]
    use = {"use_id": "U1", "project_id": "P1", "org_id": "O1", "amount_fen": 5, "category": "物资", "created_at": "t"}
    assert [e.event_id for e in use_events(use, None)] == ["use:U1:recorded"]
    assert use_events(use, use) == []
