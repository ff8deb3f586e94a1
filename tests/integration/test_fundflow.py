"""Fund flow and the ledger through the app on moto: maker-checker, balances under concurrency,
the medical rule, crediting from the donations stream, and ledger proofs checked by the
standalone verifier."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.auth import Principal, Role
from chalicelib.dal.aws import aws_client
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.fundflow import find_node
from chalicelib.dal.ledger import LedgerEntryModel, LedgerNodeModel, LedgerStateModel
from chalicelib.errors import Conflict
from chalicelib.logic.fundflow import movements
from chalicelib.logic.fundflow.inputs import DecisionInput, DisbursementInput
from chalicelib.logic.ledger import merkle
from scripts import verify_ledger
from tests.factories import make_donation, make_org, make_project, stream_event, stream_record


def paid_record(donation: DonationModel, seq: int = 1) -> dict[str, Any]:
    pending = DonationModel(**{**donation.attribute_values, "status": "pending"})
    return stream_record(donation, pending, sequence=seq)


def fund(client: Any, settings: Any, project: Any, *amounts: int) -> list[DonationModel]:
    donations = [make_donation(settings, project, amount_fen=a) for a in amounts]
    event = stream_event(*(paid_record(d, i) for i, d in enumerate(donations, 1)))
    assert client.lambda_.invoke("fundflow_credit_raised", event).payload == {"batchItemFailures": []}
    return donations


def uploaded(settings: Any, key: str, body: bytes = b"%PDF-1.4 voucher") -> str:
    """``key`` with a file stored under it, as the presigned PUT of ``/fund-vouchers`` leaves it."""
    aws_client(settings, "s3").put_object(
        Bucket=settings.documents_bucket, Key=key, Body=body, ContentType="application/pdf"
    )
    return key


def staff(org_id: str, sub: str) -> Principal:
    return Principal(sub=sub, role=Role.ORG_ADMIN, org_id=org_id)


def test_credit_from_stream_is_exactly_once(client, aws):
    # Given a project with two paid donations
    project = make_project(make_org())
    donations = fund(client, aws, project, 1_000, 2_000)
    # When the same stream batch is delivered again
    replay = stream_event(*(paid_record(d, i) for i, d in enumerate(donations, 1)))
    client.lambda_.invoke("fundflow_credit_raised", replay)
    # Then the raising node counts each donation once
    node = find_node(project.project_id, project.org_id)
    assert node is not None and (node.raised_fen, node.balance_fen) == (3_000, 3_000)


def test_maker_checker_and_payee_masking(client, aws, auth):
    org = make_org()
    project = make_project(org)
    fund(client, aws, project, 50_000)
    maker, checker = auth("org_admin", org.org_id, "maker-1"), auth("org_admin", org.org_id, "checker-1")
    payee = client.http.post(
        "/payees",
        headers=maker,
        body='{"name": "李家村村级互助资金", "kind": "village_fund", "bank_name": "农业银行",'
        ' "bank_account": "6228480012345678901", "account_holder": "李家村村委会"}',
    ).json_body
    assert payee["bank_account_masked"] == "6228 **** 8901" and "bank_account" not in payee
    body = f'{{"amount_fen": 20000, "to_payee_id": "{payee["payee_id"]}", "purpose": "村道维修"}}'
    keyed = {**maker, "Idempotency-Key": "disb-1"}
    created = client.http.post(f"/projects/{project.project_id}/disbursements", headers=keyed, body=body)
    assert created.status_code == 201, created.json_body
    d_id = created.json_body["disbursement_id"]
    # A retried POST with the same Idempotency-Key gets the same disbursement, a different body is refused
    retried = client.http.post(f"/projects/{project.project_id}/disbursements", headers=keyed, body=body)
    assert retried.json_body["disbursement_id"] == d_id
    reused = client.http.post(
        f"/projects/{project.project_id}/disbursements", headers=keyed, body=body.replace("20000", "20001")
    )
    assert reused.status_code == 422 and reused.json_body["error"]["code"] == "idempotency_key_reused"
    # The checker finds it in the project's queue
    queue = client.http.get(f"/projects/{project.project_id}/disbursements", headers=checker).json_body["items"]
    assert [(d["disbursement_id"], d["status"]) for d in queue] == [(d_id, "pending")]
    # The maker cannot approve their own disbursement
    own = client.http.post(f"/disbursements/{d_id}/decision", headers=maker, body='{"decision": "approve"}')
    assert own.status_code == 403 and own.json_body["error"]["code"] == "maker_cannot_check"
    # A second staff member approves; the sender uploads the bank slip as the receipt
    approved = client.http.post(f"/disbursements/{d_id}/decision", headers=checker, body='{"decision": "approve"}')
    assert approved.json_body["status"] == "approved"
    slip = uploaded(aws, f"fundflow/{project.project_id}/{org.org_id}/slip.pdf")
    confirmed = client.http.post(
        f"/disbursements/{d_id}/receipt", headers=maker, body=f'{{"voucher_keys": ["{slip}"]}}'
    )
    assert confirmed.json_body["status"] == "confirmed"
    # A use of funds posted twice with one Idempotency-Key is recorded once
    use = '{"amount_fen": 1000, "category": "物资采购", "spent_on": "2026-12-01"}'
    for _ in range(2):
        recorded = client.http.post(
            f"/projects/{project.project_id}/fund-uses", headers={**maker, "Idempotency-Key": "use-1"}, body=use
        )
        assert recorded.status_code == 201, recorded.json_body
    flow = client.http.get(f"/projects/{project.project_id}/fund-flow").json_body
    assert flow["root"]["balances"]["balance_fen"] == 29_000
    assert [u["amount_fen"] for u in flow["root"]["uses"]] == [1000]
    edge = flow["root"]["sent"][0]
    assert (edge["to_account_masked"], edge["receipts"], edge["status"]) == ("6228 **** 8901", 1, "confirmed")
    assert "6228480012345678901" not in str(flow)


def test_medical_project_pays_hospitals_only(client, aws, auth):
    org = make_org()
    project = make_project(org, category="医疗救助")
    maker = auth("org_admin", org.org_id, "maker-1")
    supplier = client.http.post(
        "/payees",
        headers=maker,
        body='{"name": "某药房", "kind": "supplier", "bank_name": "工商银行",'
        ' "bank_account": "6222021234567890", "account_holder": "某药房"}',
    ).json_body
    refused = client.http.post(
        f"/projects/{project.project_id}/disbursements",
        headers=maker,
        body=f'{{"amount_fen": 100, "to_payee_id": "{supplier["payee_id"]}", "purpose": "药费"}}',
    )
    assert refused.status_code == 422 and refused.json_body["error"]["code"] == "medical_pays_hospitals_only"


def test_concurrent_approvals_never_overdraw(client, aws):
    # Given a node holding 1,000 fen and five pending disbursements of 300 each
    sender, receiver = make_org(), make_org()
    project = make_project(sender)
    fund(client, aws, project, 1_000)
    maker, checker = staff(sender.org_id, "maker"), staff(sender.org_id, "checker")
    pending = [
        movements.create_disbursement(
            aws, project.project_id, DisbursementInput(amount_fen=300, to_org_id=receiver.org_id, purpose="拨付"), maker
        ).disbursement_id
        for _ in range(5)
    ]

    def approve(d_id: str) -> str:
        try:
            movements.decide_disbursement(d_id, DecisionInput(decision="approve"), checker)
        except Conflict as exc:
            return exc.code
        return "approved"

    # When all five are approved at once
    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(approve, pending))
    # Then exactly the three that fit succeed and the balance stays >= 0
    assert sorted(outcomes) == ["approved"] * 3 + ["insufficient_balance"] * 2
    node = find_node(project.project_id, sender.org_id)
    assert node is not None and (node.balance_fen, node.disbursed_fen) == (100, 900)


def publish(client: Any) -> Any:
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:rule"])
    return client.lambda_.invoke("ledger_publish_head", event).payload


def client_fetch(client: Any):
    def fetch(path: str) -> Any:
        response = client.http.get(path)
        assert response.status_code == 200, (path, response.json_body)
        return response.json_body

    return fetch


def sequence_donations(client: Any, donations: list[DonationModel]) -> None:
    event = stream_event(*(paid_record(d, i) for i, d in enumerate(donations, 1)))
    assert client.lambda_.invoke("ledger_sequence_donations", event).payload == {"batchItemFailures": []}


def test_donation_inclusion_verifies_and_tampering_fails(client, aws):
    project = make_project(make_org())
    donations = [make_donation(aws, project, amount_fen=100 + i) for i in range(7)]
    sequence_donations(client, donations[:3])
    publish(client)
    trusted = client.http.get("/ledger/heads/latest").json_body
    sequence_donations(client, donations[3:])
    # A replay of the whole stream adds no entry
    sequence_donations(client, donations)
    publish(client)
    fetch = client_fetch(client)
    key = client.http.get("/ledger/public-key").json_body["public_key"]
    target = f"donation:{donations[4].donation_id}:paid"
    head = verify_ledger.check(fetch, public_key_hex=key, entry=target, trusted_head=trusted)
    assert head["tree_size"] == 7
    proof = client.http.get("/ledger/proofs/inclusion?" + urlencode({"entry": target, "size": 7})).json_body
    assert str(donations[4].donation_id) in proof["entry"] and "张" not in proof["entry"]

    # Altering one stored entry makes its inclusion proof fail
    entry = LedgerEntryModel.get(proof["leaf_index"])
    entry.entry = entry.entry.replace(str(100 + 4), "99999")
    entry.save()
    with pytest.raises(verify_ledger.VerificationError):
        verify_ledger.check(fetch, public_key_hex=key, entry=target)


def test_a_head_that_rewrites_history_fails_consistency(client, aws):
    project = make_project(make_org())
    donations = [make_donation(aws, project, amount_fen=100 + i) for i in range(5)]
    sequence_donations(client, donations[:4])
    publish(client)
    fetch = client_fetch(client)
    key = client.http.get("/ledger/public-key").json_body["public_key"]
    trusted = verify_ledger.check(fetch, public_key_hex=key)
    # The operator rewrites leaf 0 (its stored hash and every node above it, and the peaks),
    # then appends and signs a new head, as a dishonest operator would
    forged = {(0, 0): b"\x00" * 32}
    for level in (0, 1):
        sibling = bytes.fromhex(LedgerNodeModel.get(f"{level}/1").digest)
        forged[(level + 1, 0)] = merkle.node_hash(forged[(level, 0)], sibling)
    for (level, index), digest in forged.items():
        LedgerNodeModel(f"{level}/{index}", digest=digest.hex()).save()
    LedgerStateModel("tree", size=4, peaks=json.dumps({"2": forged[(2, 0)].hex()})).save()
    sequence_donations(client, donations[4:])
    publish(client)
    latest = client.http.get("/ledger/heads/latest").json_body
    assert latest["tree_size"] == 5  # the forged head is validly signed...
    verify_ledger.verify_head(latest, key)
    with pytest.raises(verify_ledger.VerificationError):  # ...but does not extend the trusted one
        verify_ledger.check(fetch, public_key_hex=key, trusted_head=trusted)


def test_three_levels_down_to_a_village_fund(client, aws, auth):
    # Given a national charity's project with 100,000 fen raised, and provincial and city partners
    national, province, city = make_org(), make_org(), make_org()
    project = make_project(national)
    fund(client, aws, project, 100_000)

    def disburse(sender: Any, amount: int, **to: str) -> str:
        maker, checker = auth("org_admin", sender.org_id, "m"), auth("org_admin", sender.org_id, "c")
        voucher = uploaded(aws, f"fundflow/{project.project_id}/{sender.org_id}/v.pdf")
        body = {"amount_fen": amount, "purpose": "拨付", "voucher_keys": [voucher], **to}
        made = client.http.post(
            f"/projects/{project.project_id}/disbursements", headers=maker, body=json.dumps(body)
        ).json_body
        decided = client.http.post(
            f"/disbursements/{made['disbursement_id']}/decision", headers=checker, body='{"decision": "approve"}'
        )
        assert decided.json_body["status"] == "approved", decided.json_body
        return str(made["disbursement_id"])

    def confirm(d_id: str, confirmer: Any) -> None:
        key = uploaded(aws, f"fundflow/{project.project_id}/{confirmer.org_id}/r.pdf")
        done = client.http.post(
            f"/disbursements/{d_id}/receipt",
            headers=auth("org_admin", confirmer.org_id, "r"),
            body=json.dumps({"voucher_keys": [key]}),
        )
        assert done.json_body["status"] == "confirmed", done.json_body

    # When money flows national -> province -> city -> village fund, each receipt confirmed
    confirm(disburse(national, 60_000, to_org_id=province.org_id), province)
    confirm(disburse(province, 40_000, to_org_id=city.org_id), city)
    village = client.http.post(
        "/payees",
        headers=auth("org_admin", city.org_id, "m"),
        body=json.dumps(
            {
                "name": "李家村互助资金",
                "kind": "village_fund",
                "bank_name": "农商行",
                "bank_account": "6212345678901234",
                "account_holder": "李家村",
            }
        ),
    ).json_body
    confirm(disburse(city, 25_000, to_payee_id=village["payee_id"]), city)
    # Then the public tree shows every level's balance
    root = client.http.get(f"/projects/{project.project_id}/fund-flow").json_body["root"]
    prov = root["sent"][0]["node"]
    city_node = prov["sent"][0]["node"]
    assert root["balances"]["balance_fen"] == 40_000
    assert (prov["balances"]["received_fen"], prov["balances"]["balance_fen"]) == (60_000, 20_000)
    assert (city_node["balances"]["received_fen"], city_node["balances"]["balance_fen"]) == (40_000, 15_000)
    assert city_node["sent"][0]["to_name"] == "李家村互助资金" and city_node["sent"][0]["node"] is None
    # And the city cannot send more than it holds
    over = client.http.post(
        f"/projects/{project.project_id}/disbursements",
        headers=auth("org_admin", city.org_id, "m"),
        body=json.dumps({"amount_fen": 15_001, "purpose": "x", "to_payee_id": village["payee_id"]}),
    ).json_body
    refused = client.http.post(
        f"/disbursements/{over['disbursement_id']}/decision",
        headers=auth("org_admin", city.org_id, "c"),
        body='{"decision": "approve"}',
    )
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "insufficient_balance"
