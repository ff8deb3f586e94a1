"""The public part of each voucher in GET /projects/{id}/fund-flow: role, type, size, upload time
and SHA-256 for every file; a short-lived link only for files the charity published."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import requests

from tests.factories import make_org, make_project
from tests.integration.test_fundflow import fund, uploaded

INVOICE = b"%PDF-1.4 invoice, redacted"
BANK_SLIP = b"%PDF-1.4 bank slip 6228480012345678901"


def upload_through_api(client: Any, headers: dict[str, str], project_id: str, content: bytes) -> str:
    grant = client.http.post(
        f"/projects/{project_id}/fund-vouchers", headers=headers, body='{"content_type": "application/pdf"}'
    ).json_body
    put = requests.put(grant["upload_url"], data=content, headers={"Content-Type": "application/pdf"}, timeout=10)
    assert put.status_code == 200
    return str(grant["key"])


def test_public_tree_shows_each_vouchers_public_part_and_links_only_published_ones(client, aws, auth):
    # Given a funded project, a payee, and two vouchers: an invoice the charity publishes and a private bank slip
    org = make_org()
    project = make_project(org)
    fund(client, aws, project, 50_000)
    maker, checker = auth("org_admin", org.org_id, "m"), auth("org_admin", org.org_id, "c")
    payee = client.http.post(
        "/payees",
        headers=maker,
        body=json.dumps(
            {
                "name": "第一医院",
                "kind": "hospital",
                "bank_name": "工商银行",
                "bank_account": "6228480012345678901",
                "account_holder": "第一医院",
            }
        ),
    ).json_body
    invoice = upload_through_api(client, maker, project.project_id, INVOICE)
    slip = upload_through_api(client, maker, project.project_id, BANK_SLIP)
    body = {
        "amount_fen": 10_000,
        "to_payee_id": payee["payee_id"],
        "purpose": "医疗费",
        "voucher_keys": [invoice],
        "public_voucher_keys": [invoice],
    }
    made = client.http.post(f"/projects/{project.project_id}/disbursements", headers=maker, body=json.dumps(body))
    assert made.status_code == 201, made.json_body
    d_id = made.json_body["disbursement_id"]
    client.http.post(f"/disbursements/{d_id}/decision", headers=checker, body='{"decision": "approve"}')
    done = client.http.post(f"/disbursements/{d_id}/receipt", headers=maker, body=json.dumps({"voucher_keys": [slip]}))
    assert done.status_code == 200, done.json_body

    # When anyone reads the public tree
    flow = client.http.get(f"/projects/{project.project_id}/fund-flow")
    edge = flow.json_body["root"]["sent"][0]
    docs = {d["role"]: d for d in edge["documents"]}
    # Then every file shows its public part, with the SHA-256 of what was uploaded
    assert docs["voucher"]["sha256"] == hashlib.sha256(INVOICE).hexdigest()
    assert docs["receipt"]["sha256"] == hashlib.sha256(BANK_SLIP).hexdigest()
    assert (docs["voucher"]["content_type"], docs["voucher"]["size_bytes"]) == ("application/pdf", len(INVOICE))
    assert all(d["uploaded_at"].endswith("Z") for d in docs.values())
    # And only the published invoice has a link, which serves that file
    assert docs["receipt"]["public"] is False and docs["receipt"]["url"] is None
    assert docs["voucher"]["public"] is True
    assert requests.get(docs["voucher"]["url"], timeout=10).content == INVOICE
    # And no bank account number, nor the private file's key, is in the public response
    assert "6228480012345678901" not in flow.body.decode() and slip not in flow.body.decode()


def test_vouchers_must_be_uploaded_and_published_ones_attached(client, aws, auth):
    org, receiver = make_org(), make_org()
    project = make_project(org)
    fund(client, aws, project, 5_000)
    maker = auth("org_admin", org.org_id, "m")
    prefix = f"fundflow/{project.project_id}/{org.org_id}"
    attached = uploaded(aws, f"{prefix}/a.pdf")

    def disburse(**vouchers: Any) -> Any:
        body = {"amount_fen": 100, "to_org_id": receiver.org_id, "purpose": "拨付", **vouchers}
        return client.http.post(f"/projects/{project.project_id}/disbursements", headers=maker, body=json.dumps(body))

    # A key nothing was uploaded to is refused, and nothing is stored
    missing = disburse(voucher_keys=[f"{prefix}/never.pdf"])
    assert missing.status_code == 422 and missing.json_body["error"]["code"] == "voucher_not_uploaded"
    # A published key must be one of the attached ones
    stray = disburse(voucher_keys=[attached], public_voucher_keys=[f"{prefix}/other.pdf"])
    assert stray.status_code == 422
    # A use of funds' published voucher shows its link in the tree
    use = {
        "amount_fen": 1_000,
        "category": "物资采购",
        "spent_on": "2026-12-01",
        "voucher_keys": [attached],
        "public_voucher_keys": [attached],
    }
    recorded = client.http.post(f"/projects/{project.project_id}/fund-uses", headers=maker, body=json.dumps(use))
    assert recorded.status_code == 201, recorded.json_body
    root = client.http.get(f"/projects/{project.project_id}/fund-flow").json_body["root"]
    assert root["sent"] == []
    [entry] = root["uses"]
    assert (
        entry["documents"][0]["url"]
        and entry["documents"][0]["sha256"] == hashlib.sha256(b"%PDF-1.4 voucher").hexdigest()
    )
