"""Over HTTP on the local stack: a project with a 1-day feedback interval goes offline when the sweep
runs two days later, its charity sees the notification, and it comes back online with feedback."""

from __future__ import annotations

import time
from datetime import timedelta

import boto3
import requests

from chalicelib.clock import to_iso, utcnow
from scripts.job import run as run_job_over_http
from tests.factories_compliance import T0

TIMEOUT = 30


def _ddb(stack):
    return boto3.client("dynamodb", region_name="cn-north-1", endpoint_url=stack.aws_url)


def _put(stack, model) -> None:
    _ddb(stack).put_item(TableName=f"gongyi-local-{model.table_suffix}", Item=model.serialize())


def _project_status(stack, project_id: str) -> tuple[str, list[str]]:
    item = _ddb(stack).get_item(TableName="gongyi-local-projects", Key={"project_id": {"S": project_id}})["Item"]
    return item["status"]["S"], [r["S"] for r in item.get("offline_reasons", {}).get("L", [])]


def _seed_project(stack):
    """An approved charity and an online project whose next feedback is due in 1 day (interval 1 day)."""
    from tests.factories_compliance import build_org, build_project

    now = utcnow()
    org = build_org()
    project = build_project(org.org_id, feedback_due_at=now + timedelta(days=1), feedback_interval_days=1)
    _put(stack, org)
    _put(stack, project)
    return org, project, now


def test_overdue_project_goes_offline_and_the_charity_is_told(stack):
    # Given a project with a 1-day feedback interval
    org, project, now = _seed_project(stack)
    org_headers = {"Authorization": f"Bearer {stack.token('org_admin', org_id=org.org_id)}"}

    # When an operator runs the sweep as of two days later (what `make job NAME=feedback_sweep AS_OF=...` does)
    result = run_job_over_http("feedback_sweep", to_iso(now + timedelta(days=2)), stack.api_url)

    # Then the project is offline for feedback_overdue
    assert result["ran"] is True and result["summary"]["taken_offline"] >= 1
    assert _project_status(stack, project.project_id) == ("offline", ["feedback_overdue"])
    # And the charity's admins see the notification; the platform sees the alert
    notes = requests.get(f"{stack.api_url}/orgs/{org.org_id}/notifications", headers=org_headers, timeout=TIMEOUT)
    assert notes.status_code == 200
    assert [(n["kind"], n["subject_id"]) for n in notes.json()["items"]] == [("feedback_overdue", project.project_id)]
    admin = {"Authorization": f"Bearer {stack.token('platform_admin')}"}
    alerts = requests.get(f"{stack.api_url}/compliance/alerts", headers=admin, timeout=TIMEOUT).json()["items"]
    assert project.project_id in [a["subject_id"] for a in alerts]
    # And the outbox deliverer (the local event pump) marks it delivered ("stored"; SNS in dev/prod)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        items = requests.get(f"{stack.api_url}/orgs/{org.org_id}/notifications", headers=org_headers, timeout=TIMEOUT)
        if items.json()["items"][0]["delivered_at"]:
            break
        time.sleep(0.5)
    assert items.json()["items"][0]["delivered_at"]

    # When the same sweep is run again
    again = run_job_over_http("feedback_sweep", to_iso(now + timedelta(days=2)), stack.api_url)
    # Then nothing happens a second time
    assert again["ran"] is False
    assert (
        len(
            requests.get(
                f"{stack.api_url}/orgs/{org.org_id}/notifications", headers=org_headers, timeout=TIMEOUT
            ).json()["items"]
        )
        == 1
    )


def test_job_route_is_for_platform_admins_only(stack):
    org_token = stack.token("org_admin", org_id="someorg")
    response = requests.post(
        f"{stack.api_url}/compliance/jobs/feedback_sweep",
        headers={"Authorization": f"Bearer {org_token}"},
        json={"as_of": to_iso(T0)},
        timeout=TIMEOUT,
    )
    assert response.status_code == 403
