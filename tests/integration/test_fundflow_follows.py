"""Donors follow projects and are notified when the project's money moves: the /me routes,
and the fan-out (disbursements / fund-uses streams -> follower-notices queue -> outbox)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.auth import Principal, Role
from chalicelib.dal import follows
from chalicelib.dal.aws import aws_client, queue_url
from chalicelib.dal.fundflow import DisbursementModel, FundUseModel, get_disbursement
from chalicelib.logic.fundflow import followers, movements
from chalicelib.logic.fundflow.inputs import DecisionInput, DisbursementInput, UseInput
from tests.factories import make_org, make_project, stream_event, stream_record
from tests.integration.test_fundflow import fund


def test_follow_routes_roles_and_idempotence(client, aws, auth):
    project = make_project(make_org())
    path = f"/me/follows/{project.project_id}"
    donor = auth("donor", sub="donor-1")
    # Anonymous callers are asked to sign in; charity staff do not follow as donors
    assert client.http.put(path).status_code == 401
    assert client.http.delete(path).status_code == 401
    assert client.http.get("/me/follows").status_code == 401
    assert client.http.get("/me/notifications").status_code == 401
    assert client.http.put(path, headers=auth("org_admin", project.org_id, "staff")).status_code == 403
    # A project that does not exist is 404 with a code
    missing = client.http.put("/me/follows/01NOSUCHPROJECT", headers=donor)
    assert missing.status_code == 404 and missing.json_body["error"]["code"] == "project_not_found"
    assert client.http.delete("/me/follows/01NOSUCHPROJECT", headers=donor).status_code == 404
    # Following twice is one follow, with the first time kept
    first = client.http.put(path, headers=donor)
    again = client.http.put(path, headers=donor)
    assert first.status_code == again.status_code == 200
    assert again.json_body == first.json_body and first.json_body["following"] is True
    listed = client.http.get("/me/follows", headers=donor).json_body
    assert [f["project_id"] for f in listed["items"]] == [project.project_id]
    assert client.http.get("/me/follows", headers=auth("donor", sub="donor-2")).json_body["items"] == []
    # Unfollowing twice is fine; the list is empty after it
    for _ in range(2):
        gone = client.http.delete(path, headers=donor)
        assert gone.status_code == 200 and gone.json_body["following"] is False
    assert client.http.get("/me/follows", headers=donor).json_body["items"] == []
    # A page size out of range is a 422
    assert client.http.get("/me/notifications?limit=0", headers=donor).status_code == 422
    assert client.http.get("/me/follows?limit=101", headers=donor).status_code == 422
    # A cursor this API did not hand out is a 400, not a 500
    bad = client.http.get("/me/follows?cursor=%%%", headers=donor)
    assert bad.status_code == 400 and bad.json_body["error"]["code"] == "invalid_cursor"
    bad = client.http.get("/me/notifications?cursor=bm90LWpzb24", headers=donor)
    assert bad.status_code == 400 and bad.json_body["error"]["code"] == "invalid_cursor"


def test_follows_page_with_cursors(client, aws, auth):
    donor = auth("donor", sub="collector")
    projects = [make_project(make_org()) for _ in range(3)]
    for p in projects:
        assert client.http.put(f"/me/follows/{p.project_id}", headers=donor).status_code == 200
    seen, cursor = [], None
    for _ in range(4):
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.http.get("/me/follows" + query, headers=donor).json_body
        seen += [f["project_id"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(p.project_id for p in projects)


def test_followers_spread_over_shards():
    # A viral project's followers land on FOLLOW_SHARDS partitions (not one hot key), a donor always on the same
    keys = [follows.FollowModel.key_of("P", f"donor-{i}") for i in range(200)]
    assert len(set(keys)) == follows.FOLLOW_SHARDS
    assert max(keys.count(k) for k in set(keys)) < 200 * 0.15
    assert follows.FollowModel.key_of("P", "donor-7") == keys[7]


def drain_fanout(client: Any, settings: Any) -> int:
    """Deliver every queued fan-out job to ``fundflow_notify_followers`` as Lambda would."""
    sqs, url = aws_client(settings, "sqs"), queue_url(settings, follows.FANOUT_QUEUE)
    delivered = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return delivered
        event = client.events.generate_sqs_event([m["Body"] for m in got], queue_name="follower-notices")
        assert client.lambda_.invoke("fundflow_notify_followers", event).payload == {"batchItemFailures": []}
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        delivered += len(got)


def notifications(client: Any, auth: Any, sub: str) -> list[dict[str, Any]]:
    return client.http.get("/me/notifications", headers=auth("donor", sub=sub)).json_body["items"]


def test_money_moves_notify_each_follower_once(client, aws, auth, monkeypatch):
    # One follower per fan-out message: the continuation path (next page queued) is exercised too
    monkeypatch.setattr(followers, "FANOUT_PAGE", 1)
    sender, receiver = make_org(), make_org()
    project = make_project(sender)
    fund(client, aws, project, 10_000)
    # Given two followers, and a third who unfollowed; four more share shards with them
    subs = ["alice", "bob", *(f"fan-{i}" for i in range(4))]
    for sub in [*subs, "carol"]:
        assert client.http.put(f"/me/follows/{project.project_id}", headers=auth("donor", sub=sub)).status_code == 200
    client.http.delete(f"/me/follows/{project.project_id}", headers=auth("donor", sub="carol"))
    maker = Principal(sub="maker", role=Role.ORG_ADMIN, org_id=sender.org_id)
    checker = Principal(sub="checker", role=Role.ORG_ADMIN, org_id=sender.org_id)
    made = movements.create_disbursement(
        aws, project.project_id, DisbursementInput(amount_fen=2_500, to_org_id=receiver.org_id, purpose="拨付"), maker
    )
    # When the disbursement is approved (no follower is notified inside the request)
    movements.decide_disbursement(made.disbursement_id, DecisionInput(decision="approve"), checker)
    assert notifications(client, auth, "alice") == []
    approved = get_disbursement(made.disbursement_id)
    pending = DisbursementModel(**{**approved.attribute_values, "status": "pending"})
    change = stream_event(stream_record(approved, pending))
    # ...and its stream record reaches the follower job queuer, then the queue is drained
    assert client.lambda_.invoke("fundflow_followers_disbursements", change).payload == {"batchItemFailures": []}
    assert drain_fanout(client, aws) >= follows.FOLLOW_SHARDS
    # Then each follower is told once, and the one who unfollowed is not
    for sub in subs:
        notes = notifications(client, auth, sub)
        assert [(n["kind"], n["subject_id"]) for n in notes] == [("disbursement_approved", project.project_id)]
        assert "¥25.00" in notes[0]["message"] and project.title in notes[0]["message"]
    assert notifications(client, auth, "carol") == []

    # When the stream record is replayed and the jobs run again
    client.lambda_.invoke("fundflow_followers_disbursements", change)
    drain_fanout(client, aws)
    # Then nobody is told twice
    assert [len(notifications(client, auth, sub)) for sub in subs] == [1] * len(subs)

    # When the sender records a use of funds, followers hear of it too
    use = movements.record_use(
        aws, project.project_id, UseInput(amount_fen=1_000, category="物资采购", spent_on="2026-12-01"), maker
    )
    stored = FundUseModel.get(use.use_id)
    client.lambda_.invoke("fundflow_followers_fund_uses", stream_event(stream_record(stored)))
    drain_fanout(client, aws)
    kinds = [n["kind"] for n in notifications(client, auth, "bob")]
    assert kinds == ["funds_used", "disbursement_approved"]
    assert notifications(client, auth, "carol") == []


def test_notifications_page_with_cursor(client, aws, auth):
    from chalicelib.dal.outbox import notify_once

    for i in range(3):
        notify_once(recipient="donor#pager", dedupe_key=f"k{i}", kind="funds_used", message=f"m{i}")
    first = client.http.get("/me/notifications?limit=2", headers=auth("donor", sub="pager")).json_body
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.http.get(
        f"/me/notifications?limit=2&cursor={first['next_cursor']}", headers=auth("donor", sub="pager")
    ).json_body
    assert [n["message"] for n in first["items"] + rest["items"]] == ["m2", "m1", "m0"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("table", ["disbursements", "fund-uses"])
def test_changes_that_move_no_money_queue_nothing(table):
    # A pending disbursement (no approval yet) or a use's later edit is no money event
    if table == "disbursements":
        assert followers.money_notices(table, {"status": "pending"}, None) == []
    else:
        assert followers.money_notices(table, {"use_id": "u"}, {"use_id": "u"}) == []
