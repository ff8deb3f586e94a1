"""End to end over HTTP on the local stack: money flows national -> provincial -> city -> a village
fund with vouchers, maker-checker and receipts; the public tree shows every balance; a medical
project cannot pay a non-hospital; a donor following the project is told of every movement (streams
-> follower-notices queue -> outbox); the donation is proved in the ledger by the standalone
verifier, against the API and against the heads published to the public ledger bucket."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import requests

from tests.conftest import ROOT
from tests.factories import make_donation, make_org, make_project
from tests.support import eventually


def test_three_level_flow_with_ledger_proof(stack, stack_models, tmp_path):
    national, province, city = make_org(), make_org(), make_org()
    project = make_project(national)
    medical = make_project(city, category="医疗救助")
    donation = make_donation(stack_models, project, amount_fen=100_000)
    api = stack.api_url

    def call(method: str, path: str, org: Any, sub: str, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {stack.token('org_admin', org_id=org.org_id, sub=sub)}"}
        return requests.request(method, f"{api}{path}", json=body, headers=headers, timeout=20)

    def voucher(org: Any, proj: Any = project) -> str:
        grant = call(
            "POST", f"/projects/{proj.project_id}/fund-vouchers", org, "m", {"content_type": "application/pdf"}
        )
        assert grant.status_code == 201, grant.text
        put = requests.put(
            grant.json()["upload_url"],
            data=b"%PDF-1.4 voucher",
            timeout=10,
            headers={"Content-Type": "application/pdf"},
        )
        assert put.status_code == 200
        return str(grant.json()["key"])

    def move(sender: Any, amount: int, confirmer: Any, **to: str) -> None:
        body = {"amount_fen": amount, "purpose": "拨付", "voucher_keys": [voucher(sender)], **to}
        made = call("POST", f"/projects/{project.project_id}/disbursements", sender, "maker", body)
        assert made.status_code == 201, made.text
        d_id = made.json()["disbursement_id"]
        assert (
            call("POST", f"/disbursements/{d_id}/decision", sender, "maker", {"decision": "approve"}).status_code == 403
        )
        decided = call("POST", f"/disbursements/{d_id}/decision", sender, "checker", {"decision": "approve"})
        assert decided.status_code == 200, decided.text
        receipt = call("POST", f"/disbursements/{d_id}/receipt", confirmer, "r", {"voucher_keys": [voucher(confirmer)]})
        assert receipt.json()["status"] == "confirmed", receipt.text

    # Given a donor who follows the project
    donor = {"Authorization": f"Bearer {stack.token('donor', sub='follower-1')}"}
    followed = requests.put(f"{api}/me/follows/{project.project_id}", headers=donor, timeout=10)
    assert followed.status_code == 200, followed.text
    # And the donation credited to the national charity's node by the stream consumer
    flow_url = f"{api}/projects/{project.project_id}/fund-flow"
    assert eventually(
        lambda: requests.get(flow_url, timeout=10).json()["root"]["balances"]["raised_fen"] == 100_000, timeout=60
    )
    # When money flows three levels down and the city pays a village fund
    move(national, 70_000, province, to_org_id=province.org_id)
    move(province, 50_000, city, to_org_id=city.org_id)
    village = call(
        "POST",
        "/payees",
        city,
        "m",
        {
            "name": "王庄村互助资金",
            "kind": "village_fund",
            "bank_name": "农商行",
            "bank_account": "6217000011112222",
            "account_holder": "王庄村",
        },
    ).json()
    move(city, 30_000, city, to_payee_id=village["payee_id"])
    # Then the public tree shows every level's balance
    root = requests.get(flow_url, timeout=10).json()["root"]
    prov = root["sent"][0]["node"]
    city_node = prov["sent"][0]["node"]
    assert [n["balances"]["balance_fen"] for n in (root, prov, city_node)] == [30_000, 20_000, 20_000]
    assert city_node["sent"][0]["to_account_masked"] == "6217 **** 2222"

    # And the follower is told of each approval and each confirmed receipt, once
    def told() -> list[str]:
        notes = requests.get(f"{api}/me/notifications", headers=donor, timeout=10).json()["items"]
        return sorted(n["kind"] for n in notes)

    expected = ["disbursement_approved"] * 3 + ["disbursement_confirmed"] * 3
    assert eventually(lambda: told() == expected, timeout=60, interval=0.5), told()
    # And a medical project paying a non-hospital payee is refused
    refused = call(
        "POST",
        f"/projects/{medical.project_id}/disbursements",
        city,
        "maker",
        {"amount_fen": 100, "purpose": "药费", "to_payee_id": village["payee_id"]},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "medical_pays_hospitals_only"

    # And, once sequenced and a head is published, the standalone verifier proves the donation
    admin = {"Authorization": f"Bearer {stack.token('platform_admin', sub='operator')}"}
    entry = f"donation:{donation.donation_id}:paid"

    def proved() -> bool:
        requests.post(f"{api}/ledger/heads", headers=admin, timeout=20)
        size = requests.get(f"{api}/ledger/heads/latest", timeout=10).json().get("tree_size", 0)
        found = requests.get(f"{api}/ledger/proofs/inclusion", params={"entry": entry, "size": size}, timeout=10)
        return found.status_code == 200

    assert eventually(proved, timeout=60, interval=0.5)
    verifier = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_ledger.py"),
            "--base-url",
            api,
            "--entry",
            entry,
            "--save-head",
            str(tmp_path / "head.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verifier.returncode == 0, verifier.stdout + verifier.stderr
    assert verifier.stdout.startswith("OK")
    # And the same head, read from the public ledger bucket (anonymous S3 GET), verifies with the pinned key
    key = requests.get(f"{api}/ledger/public-key", timeout=10).json()["public_key"]
    bucket = stack.env["GONGYI_LEDGER_BUCKET"]
    heads_url = f"{stack.env['GONGYI_AWS_ENDPOINT']}/{bucket}/ledger/"
    from_s3 = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_ledger.py"),
            "--heads-url",
            heads_url,
            "--public-key",
            key,
            "--base-url",
            api,
            "--entry",
            entry,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert from_s3.returncode == 0, from_s3.stdout + from_s3.stderr
