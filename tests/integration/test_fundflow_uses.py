"""Use of funds (支出) linked to feedback: the link must name a feedback post of the same project."""

from __future__ import annotations

import json

from tests.factories import make_org, make_project
from tests.integration.test_fundflow import fund

FEEDBACK = {"text": "已采购防护服2,000套，送达第一医院。", "amount_used_fen": 5_000, "period": "2026年第4季度"}


def test_a_use_links_only_to_its_own_projects_feedback(client, aws, auth):
    # Given two projects of one charity, each with a feedback post, and money raised on the first
    org = make_org()
    project, other = make_project(org), make_project(org)
    fund(client, aws, project, 10_000)
    staff = auth("org_admin", org.org_id, "staff-1")
    posts = {}
    for p in (project, other):
        made = client.http.post(f"/projects/{p.project_id}/feedback", headers=staff, body=json.dumps(FEEDBACK))
        assert made.status_code == 201, made.json_body
        posts[p.project_id] = made.json_body["feedback_id"]

    def use(feedback_id: str) -> object:
        body = {"amount_fen": 1_000, "category": "物资采购", "spent_on": "2026-12-01", "feedback_id": feedback_id}
        return client.http.post(f"/projects/{project.project_id}/fund-uses", headers=staff, body=json.dumps(body))

    # When a use names the other project's feedback, or one that does not exist, it is refused
    for wrong in (posts[other.project_id], "01NOSUCHFEEDBACK"):
        refused = use(wrong)
        assert refused.status_code == 422 and refused.json_body["error"]["code"] == "feedback_not_in_project"
    # And nothing was spent
    flow = client.http.get(f"/projects/{project.project_id}/fund-flow").json_body
    assert flow["root"]["balances"]["balance_fen"] == 10_000 and flow["root"]["uses"] == []
    # When it names its own project's feedback it is recorded with the link
    recorded = use(posts[project.project_id])
    assert recorded.status_code == 201, recorded.json_body
    flow = client.http.get(f"/projects/{project.project_id}/fund-flow").json_body
    assert [u["feedback_id"] for u in flow["root"]["uses"]] == [posts[project.project_id]]
