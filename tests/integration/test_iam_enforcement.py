"""Least privilege, proved by enforcement: a compact journey runs every Lambda function of
gongyi (the API; the stream consumers through the local pump, the outbox deliverer
publishing to the topic and the ledger sequencers of disbursements and fund uses among them; the
import worker and the refund sender through their queues, the refund reaching the payment-provider
simulator; each scheduled job, the reconciler fetching the simulator's bill) and every AWS call each made is checked against the policy
infra/ generates for its role. Then each function loses one statement it needed, and the
same calls are refused, naming the function, the action and the resource: the check
cannot pass vacuously. (Every other integration test is checked too, by the autouse
fixture in conftest.py.)"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.outbox import notify_once
from chalicelib.functions import all_functions
from scripts.local_workers import Pump, _Context, sqs_event
from tests.factories import gift, make_donation, make_org, make_project
from tests.iam import enforcement
from tests.iam.policy import Arns, Request, allowed, denied, requests_of
from tests.iam.recorder import API_FUNCTION, RECORDER
from tests.integration.test_matching_surge import make_pool
from tests.integration.test_team_boards import TEAM
from tests.support import approved_org_via_api, declare, online_project_via_api, upload

ROOT = Path(__file__).resolve().parents[2]


def _schedule_event(at: datetime) -> dict[str, object]:
    return {
        "version": "0",
        "id": "iam-journey",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": to_iso(at).replace("+00:00", "Z"),
        "region": "cn-north-1",
        "resources": [],
        "detail": {},
    }


@pytest.fixture
def notifications_topic(aws, payments_env) -> Iterator[str]:
    """The stage's notifications topic (what the generated policy names), configured so the
    outbox deliverer publishes to it as in dev/prod."""
    from chalicelib.config import get_settings
    from chalicelib.dal.aws import aws_client

    topic = aws_client(aws, "sns").create_topic(Name=f"gongyi-{aws.stage}-notifications")["TopicArn"]
    os.environ["GONGYI_NOTIFICATIONS_TOPIC_ARN"] = topic
    get_settings.cache_clear()
    yield topic
    os.environ.pop("GONGYI_NOTIFICATIONS_TOPIC_ARN", None)
    get_settings.cache_clear()


def _wechat_gift_paid_then_refunded(client, auth, provider_sim, project_id: str) -> str:
    """Through the provider simulator: a WeChat gift opened and paid (its notification), then
    refunded by an admin, which queues it for the refund sender."""
    started = client.http.post(
        f"/projects/{project_id}/donations",
        headers={"Idempotency-Key": "iam-journey-wechat"},
        body=json.dumps(gift(amount_fen=1500, channel="wechat")),
    )
    assert started.status_code == 201, started.body
    donation_id = str(started.json_body["donation"]["donation_id"])
    sim = provider_sim.simulator
    sim.pay({"out_trade_no": donation_id, "provider": "wechat"})
    order = sim.state.orders[("wechat", donation_id)]
    headers, body = sim.wechat.notification(sim.wechat.transaction_view(order), "TRANSACTION.SUCCESS", "transaction")
    assert client.http.post("/payments/wechat/notify", headers=headers, body=body).status_code == 200
    refunded = client.http.post(
        f"/donations/{donation_id}/refund", headers=auth("platform_admin"), body=json.dumps({"reason": "重复捐赠"})
    )
    assert refunded.status_code == 200, refunded.body
    return donation_id


def _send_the_refund(aws, provider_sim, donation_id: str) -> None:
    """The refund sender, invoked with the refunds queue's message as Lambda would: the first
    delivery sends the refund (still processing at WeChat Pay: the message comes back), the
    redelivery finds it done."""
    import app as chalice_app
    from chalicelib.dal.aws import aws_client
    from chalicelib.dal.refunds import find_refund

    sqs = aws_client(aws, "sqs")
    url = sqs.get_queue_url(QueueName=aws.queue_name("refunds"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    handler = chalice_app.app.handler_map["refund_sender"]
    with pytest.raises(BatchProcessingError):  # every record of the batch failed: Lambda redelivers it
        handler(sqs_event(arn, [message]), _Context())
    refund = provider_sim.simulator.state.refunds[("wechat", find_refund(donation_id).refund_id)]
    deadline = time.monotonic() + 10
    while refund.status != "SUCCESS" and time.monotonic() < deadline:
        time.sleep(0.02)  # the simulator moves the money a moment after accepting the refund
    assert handler(sqs_event(arn, [message]), _Context()) == {"batchItemFailures": []}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert find_refund(donation_id).status == "succeeded"


def _move_funds(client, auth, aws, project) -> None:
    """A disbursement made, approved and confirmed by the receiving charity, and a use of funds:
    what the ledger's disbursement and fund-use sequencers consume."""
    from chalicelib.dal.aws import aws_client

    receiver = make_org()
    follower = auth("donor", sub="follower-iam")  # told when the project's money moves
    assert client.http.put(f"/me/follows/{project.project_id}", headers=follower).status_code == 200
    maker, checker = auth("org_admin", project.org_id, "maker-iam"), auth("org_admin", project.org_id, "checker-iam")
    made = client.http.post(
        f"/projects/{project.project_id}/disbursements",
        headers={**maker, "Idempotency-Key": "iam-journey-disbursement"},
        body=json.dumps({"amount_fen": 1000, "purpose": "拨付", "to_org_id": receiver.org_id}),
    )
    assert made.status_code == 201, made.body
    d_id = made.json_body["disbursement_id"]
    approved = client.http.post(f"/disbursements/{d_id}/decision", headers=checker, body='{"decision": "approve"}')
    assert approved.json_body["status"] == "approved", approved.body
    slip = f"fundflow/{project.project_id}/{receiver.org_id}/slip.pdf"  # as the presigned PUT leaves it
    aws_client(aws, "s3").put_object(Bucket=aws.documents_bucket, Key=slip, Body=b"%PDF-1.4 slip")
    confirmed = client.http.post(
        f"/disbursements/{d_id}/receipt",
        headers=auth("org_admin", receiver.org_id, "receiver-iam"),
        body=json.dumps({"voucher_keys": [slip]}),
    )
    assert confirmed.json_body["status"] == "confirmed", confirmed.body
    used = client.http.post(
        f"/projects/{project.project_id}/fund-uses",
        headers={**maker, "Idempotency-Key": "iam-journey-use"},
        body=json.dumps({"amount_fen": 500, "category": "物资采购", "spent_on": "2026-12-01"}),
    )
    assert used.status_code == 201, used.body


def _drain(pump: Pump) -> None:
    """Pump streams and queues until a pass delivers nothing (a bounded number of passes)."""
    for _ in range(10):
        if not pump.run_once():
            return


def run_every_function(client, auth, aws, provider_sim) -> None:
    import app as chalice_app

    pump = Pump()
    # The API: a charity approved, a project online, a donation started, an import declared.
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    # A search: its reads fan out over a thread pool, and still count as the API's calls
    assert client.http.get("/projects?q=%E5%8A%A9%E5%AD%A6&sort=most_raised").status_code == 200
    started = client.http.post(
        f"/projects/{project_id}/donations",
        headers={**auth("donor", sub="donor-iam"), "Idempotency-Key": "iam-journey-1"},
        body=json.dumps({"amount_fen": 1000, "channel": "sandbox", "donor_name": "张三"}),
    )
    assert started.status_code == 201, started.body
    declared = declare(client, auth, org_id)
    upload(declared, (ROOT / "samples" / "imports" / "donations_utf8.csv").read_bytes())
    # Payments: a WeChat gift paid and refunded (the refund sender sends it to the simulator).
    _send_the_refund(aws, provider_sim, _wechat_gift_paid_then_refunded(client, auth, provider_sim, project_id))
    # The outbox: a stored notice, for the deliverer to publish.
    notify_once(recipient="platform", dedupe_key="iam-journey", kind="notice", message="IAM 旅程")
    # Stream consumers and the import worker, as Lambda would invoke them.
    # 配捐 and 一起捐: a pool matching the project and a gift through a team (the matcher records
    # the match and credits the team: match_totals_published and team_boards consume those).
    project = make_project(make_org())
    make_pool(project.project_id)
    team = client.http.post(
        f"/projects/{project.project_id}/teams", headers=auth("donor", sub="captain-iam"), body=json.dumps(TEAM)
    )
    assert team.status_code == 201, team.body
    make_donation(aws, project, team_id=team.json_body["team_id"], donor_sub="donor-team-iam")
    _drain(pump)
    # Fund flow on the credited project, then the ledger sequencers consume it.
    _move_funds(client, auth, aws, project)
    _drain(pump)
    # Each scheduled job; the reconciler as of tomorrow, so it reconciles today's bills (the gift above).
    now = utcnow()
    for function in all_functions():
        if type(function.trigger).__name__ == "Schedule":
            at = now + timedelta(days=1) if function.name == "payment_reconciler" else now
            chalice_app.app.handler_map[function.name](_schedule_event(at), _Context())


@pytest.mark.slow
def test_every_function_calls_only_what_its_generated_policy_allows_and_no_less(
    client, auth, aws, provider_sim, notifications_topic
):
    # When every function runs its part of the journey
    run_every_function(client, auth, aws, provider_sim)

    # Then every function ran and made AWS calls, each allowed by its generated policy
    functions = {call.function for call in RECORDER.calls}
    expected = {API_FUNCTION} | {f.name for f in all_functions()}
    assert functions == expected, f"not exercised: {sorted(expected - functions)}"
    # (the deliverer published to the topic, the reconciler kept the day's bills)
    assert any(c.function == "deliver_notifications" and c.operation == "Publish" for c in RECORDER.calls)
    assert any(c.function == "payment_reconciler" and c.operation == "PutObject" for c in RECORDER.calls)
    search_table = aws.table_name("search-index")
    assert any(
        c.function == API_FUNCTION and c.operation == "Query" and c.params.get("TableName") == search_table
        for c in RECORDER.calls
    ), "the search's reads from its thread pool were not recorded as the API's"
    assert enforcement.refused() == []
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
