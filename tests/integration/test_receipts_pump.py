"""The local pump keeps delivering stream records to the receipt workers, also after moto
rolled back a failed transaction on the table (moto then swaps the table's stream)."""

import pytest

from chalicelib.dal import receipts as store
from chalicelib.dal.receipts import find_receipt as get_receipt
from scripts.local_workers import Pump
from tests.factories import make_donation, make_org, make_project


def drain(pump: Pump, rounds: int = 6) -> None:
    for _ in range(rounds):
        pump.run_once()


def test_pump_issues_receipts_before_and_after_a_failed_transaction(aws):
    # Given the pump and a first paid donation, issued through both streams
    pump = Pump()
    project = make_project(make_org())
    first = make_donation(aws, project)
    drain(pump)
    issued = get_receipt(first.donation_id)
    assert issued is not None and issued.status == "issued"

    # When a transaction on the receipts table fails (a retried worker re-claiming the number)
    retry = store.ReceiptModel(**{**issued.attribute_values, "seq": issued.seq + 1})
    with pytest.raises(store.AlreadyNumbered):
        store.claim_number(aws, retry, expected_last_seq=int(issued.seq))
    second = make_donation(aws, project)
    drain(pump)

    # Then the next donation's receipts are still issued
    later = get_receipt(second.donation_id)
    assert later is not None and later.status == "issued" and later.seq == 2
