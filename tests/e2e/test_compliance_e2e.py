"""Over HTTP on the local stack: a project with a 1-day feedback interval goes offline when the sweep
runs two days later, its charity sees the notification, and it comes back online with feedback."""

from __future__ import annotations

from datetime import timedelta

import requests

from chalicelib.clock import to_iso, utcnow
from scripts.job import run as run_job_over_http
from tests.factories import T0
from tests.support import dynamodb, eventually, put_model

TIMEOUT = 30


def _project_status(stack, project_id: str) -> tuple[str, list[str]]:
    item = dynamodb(stack).get_item(TableName="gongyi-local-projects", Key={"project_id": {"S": project_id}})["Item"]
    return item["status"]["S"], [r["S"] for r in item.get("offline_reasons", {}).get("L", [])]


def _seed_project(stack):
    """An approved charity and an online project whose next feedback is due in 1 day (interval 1 day)."""
    from tests.factories import build_org, build_project

    now = utcnow()
    org = build_org()
    project = build_project(org.org_id, feedback_due_at=now + timedelta(days=1), feedback_interval_days=1)
    put_model(stack, org)
    put_model(stack, project)
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
    def delivered():
        items = requests.get(f"{stack.api_url}/orgs/{org.org_id}/notifications", headers=org_headers, timeout=TIMEOUT)
        return items.json()["items"][0]["delivered_at"]

    assert eventually(delivered, timeout=TIMEOUT, interval=0.5)

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


def _feedback_route(stack) -> tuple[str, dict] | None:
    """The projects issue's POST /projects/{id}/feedback, and a minimal body built from its schema."""
    doc = requests.get(f"{stack.api_url}/openapi.json", timeout=TIMEOUT).json()
    for path, ops in doc.get("paths", {}).items():
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "projects" and parts[2] == "feedback" and "post" in ops:
            schema = ops["post"].get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            body: dict = {}
            for name in schema.get("required", []):
                kind = schema.get("properties", {}).get(name, {}).get("type")
                body[name] = {"integer": 0, "array": [], "boolean": False}.get(
                    kind, "本月完成第一批营养餐发放，受益学生 120 人。"
                )
            return path, body
    return None


def test_posting_the_missing_feedback_brings_the_project_back_online(stack):
    route = _feedback_route(stack)
    assert route is not None, "POST /projects/{id}/feedback is missing from /openapi.json"
    path, body = route
    # Given a project the sweep took offline
    org, project, now = _seed_project(stack)
    # (three days later: the two-day hour was already swept by the test above, and a period runs once)
    swept = run_job_over_http("feedback_sweep", to_iso(now + timedelta(days=3)), stack.api_url)
    assert swept["ran"] is True
    assert _project_status(stack, project.project_id) == ("offline", ["feedback_overdue"])

    # When its charity posts the missing feedback
    url = stack.api_url + path.replace(path.split("/")[2], project.project_id)
    headers = {"Authorization": f"Bearer {stack.token('org_admin', org_id=org.org_id)}"}
    posted = requests.post(url, headers=headers, json=body, timeout=TIMEOUT)

    # Then the project is online again, with nothing left keeping it offline
    assert posted.status_code in (200, 201), posted.text
    assert _project_status(stack, project.project_id) == ("online", [])
