"""End to end over HTTP on the local stack: a paid donation's 三证 are issued by the stream
workers (delivered by the local pump), fetched, downloaded, looked up, verified, then voided."""

from __future__ import annotations

import io
from typing import Any

import requests
from pypdf import PdfReader

from chalicelib.dal.donations import DonationModel
from tests.factories import CHARITY_NAME, make_donation, make_org, make_project
from tests.support import eventually

CAPITALS = "捌拾捌元捌角捌分"


def test_donate_fetch_download_lookup_verify_refund_void(stack, stack_models):
    # Given a charity, a project and a donation paid through the sandbox provider
    org = make_org()
    project = make_project(org)
    donation = make_donation(
        stack_models, project, amount_fen=8_888, donor_name="陈晨", phone="13912340000", donor_sub="donor-chen"
    )
    donor = {"Authorization": f"Bearer {stack.token('donor', sub='donor-chen')}"}
    receipts_url = f"{stack.api_url}/donations/{donation.donation_id}/receipts"

    # When the workers have issued its receipts
    def issued() -> dict[str, Any] | None:
        response = requests.get(receipts_url, headers=donor, timeout=10)
        assert response.status_code in (200, 202), response.text
        return response.json() if response.status_code == 200 else None

    body = eventually(issued, timeout=60, interval=0.3)

    # Then the donor downloads three Chinese PDFs, each small and naming donor, amount and charity
    assert body, "receipts were not issued within a minute"
    assert len(body["documents"]) == 3
    for doc in body["documents"]:
        pdf = requests.get(doc["url"], timeout=10)
        assert pdf.status_code == 200 and len(pdf.content) < 100_000
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "陈晨" in text and CAPITALS in text and CHARITY_NAME in text and body["number"] in text
        # The QR code's URL is printed too: take the check code from it
        code = text.split("?code=")[1][:8]

    # And finds it by phone and name
    found = requests.post(
        f"{stack.api_url}/receipts/lookup", json={"mobile": "13912340000", "donor_name": "陈晨"}, timeout=10
    ).json()["donations"]
    assert [d["donation_id"] for d in found] == [donation.donation_id]
    assert found[0]["donor_name"] == "陈*" and found[0]["receipts"]["status"] == "issued"

    # And anyone with the number and check code can verify it
    verify_url = f"{stack.api_url}/receipts/verify/{body['number']}"
    verified = requests.get(verify_url, params={"code": code}, timeout=10)
    assert verified.status_code == 200 and verified.json()["status"] == "valid"
    assert verified.json()["amount_capitals"] == CAPITALS
    assert requests.get(verify_url, params={"code": "WRONGCOD"}, timeout=10).status_code == 404

    # When the donation is refunded
    DonationModel(donation.donation_id).update(actions=[DonationModel.status.set("refunded")])

    # Then the receipts become void and downloads are refused
    assert eventually(
        lambda: requests.get(verify_url, params={"code": code}, timeout=10).json()["status"] == "void",
        timeout=60,
        interval=0.3,
    )
    refused = requests.get(receipts_url, headers=donor, timeout=10)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "receipt_void"
