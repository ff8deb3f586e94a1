"""Least privilege, proved by enforcement: a compact journey runs every Lambda function of
gongyi (the API, the stream consumers through the local pump, the import worker through the
queue, each scheduled job) and every AWS call each made is checked against the policy
infra/ generates for its role. Then each function loses one statement it needed, and the
same calls are refused, naming the function, the action and the resource: the check
cannot pass vacuously. (Every other integration test is checked too, by the autouse
fixture in conftest.py.)"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.clock import to_iso, utcnow
from chalicelib.functions import all_functions
from scripts.local_workers import Pump, _Context
from tests.factories import make_donation, make_org, make_project
from tests.iam import enforcement
from tests.iam.policy import Arns, Request, allowed, denied, requests_of
from tests.iam.recorder import API_FUNCTION, RECORDER
from tests.support import approved_org_via_api, declare, online_project_via_api, upload

ROOT = Path(__file__).resolve().parents[2]


def _schedule_event() -> dict[str, object]:
    return {
        "version": "0",
        "id": "iam-journey",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": to_iso(utcnow()).replace("+00:00", "Z"),
        "region": "cn-north-1",
        "resources": [],
        "detail": {},
    }


def run_every_function(client, auth, aws) -> None:
    import app as chalice_app

    pump = Pump()
    # The API: a charity approved, a project online, a donation started, an import declared.
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    started = client.http.post(
        f"/projects/{project_id}/donations",
        headers={**auth("donor", sub="donor-iam"), "Idempotency-Key": "iam-journey-1"},
        body=json.dumps({"amount_fen": 1000, "channel": "sandbox", "donor_name": "张三"}),
    )
    assert started.status_code == 201, started.body
    declared = declare(client, auth, org_id)
    upload(declared, (ROOT / "samples" / "imports" / "donations_utf8.csv").read_bytes())
    # Stream consumers and the import worker, as Lambda would invoke them.
    project = make_project(make_org())
    make_donation(aws, project)
    for _ in range(8):
        pump.run_once()
    # Each scheduled job.
    for function in all_functions():
        if type(function.trigger).__name__ == "Schedule":
            chalice_app.app.handler_map[function.name](_schedule_event(), _Context())


@pytest.mark.slow
def test_every_function_calls_only_what_its_generated_policy_allows_and_no_less(client, auth, aws):
    # When every function runs its part of the journey
    run_every_function(client, auth, aws)

    # Then each ran and every call it made is allowed by its generated policy
    functions = {call.function for call in RECORDER.calls}
    # Not driven by this journey yet (they need a paid refund, a provider bill or fund movements):
    # their calls are checked against the same generated policies by the e2e stacks' recorder
    # (tests/iam/site), in test_payments_e2e.py and test_fundflow_e2e.py.
    elsewhere = {"deliver_notifications", "refund_sender", "payment_reconciler"}
    elsewhere |= {"ledger_sequence_disbursements", "ledger_sequence_fund_uses"}
    # They need a matched gift or a team gift: invoked through the test client (so checked by the
    # autouse policy check) in test_team_boards.py and test_matching_report.py.
    elsewhere |= {"team_boards", "match_totals_published"}
    expected = {API_FUNCTION} | {f.name for f in all_functions() if f.name not in elsewhere}
    assert expected <= functions, f"not exercised: {sorted(expected - functions)}"
    assert enforcement.refused() == []

    # And once a statement it needed is removed, the same calls are refused, naming the function
    arns = Arns(aws.aws_region)
    requests = [r for call in RECORDER.calls for r in requests_of(call, arns)]
    policies = enforcement.generated_policies()
    checked = set()
    for function in sorted({r.function for r in requests}):
        needed = [r for r in requests if r.function == function]
        policy = policies[function]
        index = next(i for i, s in enumerate(policy["Statement"]) if allowed({"Statement": [s]}, needed[0]))
        weakened = copy.deepcopy(policies)
        removed = weakened[function]["Statement"].pop(index)

        refusals = denied(weakened, requests)

        assert refusals, f"{function} still passes without {removed['Sid']}"
        assert str(needed[0]) in refusals
        assert all(line.startswith(f"{function}: ") for line in refusals)
        checked.add(function)
    assert checked == functions
    RECORDER.clear()  # the autouse check after the test has nothing left to say


def test_iam_matching_follows_iam_rules():
    arns = Arns("cn-north-1")
    table = arns.table("gongyi-local-donations")
    assert table == "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/gongyi-local-donations"
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "DynamoDB:Query"], "Resource": table},
            {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": [f"{table}/index/*"]},
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws-cn:s3:::bucket/orgs/*"},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::bucket/orgs/secret/*"},
        ]
    }
    assert allowed(policy, Request("f", "dynamodb:query", table))  # actions are case-insensitive
    assert allowed(policy, Request("f", "dynamodb:Query", f"{table}/index/by-project"))
    assert not allowed(policy, Request("f", "dynamodb:PutItem", table))
    assert not allowed(policy, Request("f", "dynamodb:GetItem", f"{table}/index/by-project"))
    assert not allowed(policy, Request("f", "dynamodb:GetItem", table.replace("aws-cn", "aws")))  # partition counts
    assert not allowed(policy, Request("f", "dynamodb:GetItem", arns.table("gongyi-local-donations-x")))
    assert allowed(policy, Request("f", "s3:GetObject", "arn:aws-cn:s3:::bucket/orgs/o1/a.csv"))
    assert not allowed(policy, Request("f", "s3:GetObject", "arn:aws-cn:s3:::bucket/orgs/secret/a.csv"))
    assert not allowed(policy, Request("f", "s3:GetObject", "arn:aws-cn:s3:::bucket/reports/a.csv"))


def test_transactions_and_batches_need_each_table_they_touch():
    from tests.iam.recorder import Call

    arns = Arns("cn-north-1")
    call = Call(
        "api_handler",
        "dynamodb",
        "TransactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "b"}}]},
    )
    assert [(r.action, r.resource.rsplit("/", 1)[-1]) for r in requests_of(call, arns)] == [
        ("dynamodb:PutItem", "a"),
        ("dynamodb:ConditionCheckItem", "b"),
    ]
    batch = Call("x", "dynamodb", "BatchGetItem", {"RequestItems": {"t1": {}, "t2": {}}})
    assert {r.resource.rsplit("/", 1)[-1] for r in requests_of(batch, arns)} == {"t1", "t2"}
    presigned_put = Call("x", "s3", "PutObject", {"Bucket": "b", "Key": "orgs/o/f.csv"})
    assert list(requests_of(presigned_put, arns)) == [Request("x", "s3:PutObject", "arn:aws-cn:s3:::b/orgs/o/f.csv")]
