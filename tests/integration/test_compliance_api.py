"""Compliance routes and event handlers through chalice.test.Client on moto."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.dal.outbox import notifications_for, notify_once
from tests.factories import T0, make_org, make_project, reload


def post_json(client, path, headers, body):
    return client.http.post(path, headers=headers, body=json.dumps(body))


def test_admin_runs_the_sweep_by_hand_and_sees_alerts(client, auth):
    # Given an online project whose feedback was due yesterday
    org = make_org()
    project = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=1))
    admin = auth("platform_admin")

    # When a platform admin runs the sweep as of T0 (in Shanghai time), twice
    first = post_json(client, "/compliance/jobs/feedback_sweep", admin, {"as_of": "2026-12-01T08:00:00+08:00"})
    second = post_json(client, "/compliance/jobs/feedback_sweep", admin, {"as_of": "2026-12-01T08:30:00+08:00"})

    # Then the first ran and took it offline, the second was a no-op for the same hour
    assert first.status_code == 200, first.body
    assert first.json_body["ran"] is True and first.json_body["summary"]["taken_offline"] == 1
    assert first.json_body["period"] == "2026-12-01T00"
    assert second.json_body["ran"] is False
    assert reload(project).status == "offline"
    # And the platform's alerts and the charity's notifications show it
    alerts = client.http.get("/compliance/alerts", headers=admin).json_body
    assert [i["kind"] for i in alerts["items"]] == ["feedback_overdue"]
    own = client.http.get(f"/orgs/{org.org_id}/notifications", headers=auth("org_admin", org_id=org.org_id))
    assert own.status_code == 200
    assert [i["subject_id"] for i in own.json_body["items"]] == [project.project_id]


def test_notifications_are_only_for_that_charitys_admins(client, auth):
    org, other = make_org(), make_org()
    notify_once(recipient=f"org#{org.org_id}", dedupe_key="k", kind="feedback_reminder", message="m")
    path = f"/orgs/{org.org_id}/notifications"
    assert client.http.get(path, headers=auth("org_admin", org_id=other.org_id)).status_code == 403
    assert client.http.get(path, headers=auth("donor")).status_code == 403
    assert client.http.get(path).status_code == 401
    assert len(client.http.get(path, headers=auth("platform_admin")).json_body["items"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/compliance/alerts"), ("GET", "/compliance/reports/2026-11"), ("POST", "/compliance/jobs/reminders")],
)
def test_admin_routes_refuse_charities_and_donors(client, auth, method, path):
    org = make_org()
    for headers in (auth("org_admin", org_id=org.org_id), auth("donor")):
        response = client.http.request(method, path, headers=headers, body=b"{}")
        assert response.status_code == 403


def test_job_route_rejects_unknown_jobs_and_naive_times(client, auth):
    admin = auth("platform_admin")
    assert post_json(client, "/compliance/jobs/nope", admin, {}).status_code == 404
    response = post_json(client, "/compliance/jobs/reminders", admin, {"as_of": "2026-12-01T00:00:00"})
    assert response.status_code == 422


def test_report_route_404_until_generated_and_400_for_a_bad_month(client, auth):
    admin = auth("platform_admin")
    assert client.http.get("/compliance/reports/2026-11", headers=admin).status_code == 404
    assert client.http.get("/compliance/reports/2026-13", headers=admin).status_code == 422


def test_schedule_event_time_is_the_as_of_and_a_duplicate_delivery_is_a_no_op(client):
    # Given an overdue project
    org = make_org()
    project = make_project(org.org_id, feedback_due_at=T0 - timedelta(minutes=1))
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:rule"])
    event["time"] = "2026-12-01T00:00:00Z"

    # When EventBridge delivers the hourly schedule twice
    first = client.lambda_.invoke("compliance_feedback_sweep", event).payload
    second = client.lambda_.invoke("compliance_feedback_sweep", event).payload

    # Then it ran once, as of the event's time
    assert first["ran"] is True and second["ran"] is False
    assert first["period"] == "2026-12-01T00"
    assert reload(project).status == "offline"
    assert len(notifications_for("platform")) == 1


def test_every_job_has_its_own_scheduled_function(client):
    from app import app

    names = {s.name for s in app.event_sources}
    for job in ("feedback_sweep", "reminders", "end_dates", "certificates", "monthly_report"):
        assert f"compliance_{job}" in names
    assert "deliver_notifications" in names


def _insert_record(note):
    image = {
        "recipient": {"S": note.recipient},
        "sort_key": {"S": note.sort_key},
        "dedupe_key": {"S": note.dedupe_key},
        "kind": {"S": note.kind},
        "message": {"S": note.message},
    }
    return {"eventName": "INSERT", "dynamodb": {"NewImage": image}}


def test_outbox_deliverer_marks_stored_locally_and_publishes_to_sns_when_configured(aws):
    from chalicelib.dal.aws import aws_client
    from chalicelib.logic.compliance.delivery import deliver_records

    # Given two stored notifications
    notify_once(recipient="platform", dedupe_key="a", kind="feedback_overdue", message="项目已下线")
    notify_once(recipient="platform", dedupe_key="b", kind="certificate_expiring", message="证书将到期")
    first, second = sorted(notifications_for("platform"), key=lambda n: n.dedupe_key)

    # When the local deliverer sees the first: it is only marked delivered
    assert deliver_records([_insert_record(first)], aws) == {"delivered": 1, "published": 0}

    # And with a topic configured, the second is published to SNS (a queue subscribed to it receives it)
    sns, sqs = aws_client(aws, "sns"), aws_client(aws, "sqs")
    topic = sns.create_topic(Name="gongyi-local-notifications")["TopicArn"]
    queue = sqs.create_queue(QueueName="gongyi-local-notifications-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    with_topic = aws.model_copy(update={"notifications_topic_arn": topic})
    assert deliver_records([_insert_record(second)], with_topic) == {"delivered": 1, "published": 1}
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["Message"] == "证书将到期"
    assert body["MessageAttributes"]["kind"]["Value"] == "certificate_expiring"

    # Then both are delivered, and a replayed record is not marked twice
    assert all(n.delivered_at for n in notifications_for("platform"))
    assert deliver_records([_insert_record(first)], aws)["delivered"] == 0


def test_notifications_route_shows_delivery(client, auth):
    notify_once(recipient="platform", dedupe_key="x", kind="k", message="m")
    [item] = client.http.get("/compliance/alerts", headers=auth("platform_admin")).json_body["items"]
    assert item["kind"] == "k" and item["delivered_at"] is None


def test_deliverer_function_takes_a_stream_event(client):
    # Given a stored notification, as the stream would carry it
    notify_once(recipient="platform", dedupe_key="s", kind="feedback_overdue", message="m")
    [note] = notifications_for("platform")
    record = {**_insert_record(note), "eventSourceARN": "arn:aws:dynamodb:cn-north-1:123456789012:table/t/stream/x"}

    # When the deliverer function receives the stream event
    result = client.lambda_.invoke("deliver_notifications", {"Records": [record]}).payload

    # Then it is marked delivered
    assert result == {"batchItemFailures": []}
    assert notifications_for("platform")[0].delivered_at
