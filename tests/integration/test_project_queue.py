"""GET /admin/projects: the platform's project review queue."""

import json

import pytest

from tests.support import approved_org_via_api, created, draft_via_api, online_project_via_api


@pytest.fixture
def charity(client, auth):
    return approved_org_via_api(client, auth, name="荆楚审核队列基金会")


def submitted(client, auth, org_id: str, title: str) -> str:
    project_id = str(draft_via_api(client, auth, org_id, title=title)["project_id"])
    created(client.http.post(f"/projects/{project_id}/submit", headers=auth("org_admin", org_id=org_id)))
    return project_id


def queue(client, auth, query: str = "") -> list[dict]:
    response = client.http.get(f"/admin/projects{query}", headers=auth("platform_admin"))
    assert response.status_code == 200, response.body
    return list(json.loads(response.body)["items"])


def test_the_queue_lists_projects_waiting_for_review_with_their_charity(client, auth, charity):
    # Given a submitted project, a draft and an online project of one charity
    waiting = submitted(client, auth, charity, "等待审核的助学项目")
    draft_via_api(client, auth, charity, title="仍是草稿的项目")
    online_project_via_api(client, auth, charity, title="已经上线的项目")

    # When a reviewer opens the queue, then only the submitted one is there, named with its charity
    items = queue(client, auth)
    assert [(i["project_id"], i["title"], i["status"]) for i in items] == [
        (waiting, "等待审核的助学项目", "pending_review")
    ]
    assert items[0]["org_id"] == charity and items[0]["org_name"] == "荆楚审核队列基金会"

    # And once approved it leaves the queue
    created(client.http.post(f"/projects/{waiting}/approve", headers=auth("platform_admin")))
    assert queue(client, auth) == []


def test_rejected_projects_are_their_own_queue_with_the_reason(client, auth, charity):
    project_id = submitted(client, auth, charity, "将被驳回的项目")
    rejected = client.http.post(
        f"/projects/{project_id}/reject", headers=auth("platform_admin"), body=json.dumps({"reason": "备案编号不符"})
    )
    assert rejected.status_code == 200
    assert queue(client, auth) == []
    [item] = queue(client, auth, "?status=rejected")
    assert (item["project_id"], item["reject_reason"]) == (project_id, "备案编号不符")


def test_only_platform_admins_see_the_queue(client, auth, charity):
    submitted(client, auth, charity, "等待审核的项目")
    assert client.http.get("/admin/projects").status_code == 401
    for headers in (auth("donor"), auth("org_admin", org_id=charity)):
        response = client.http.get("/admin/projects", headers=headers)
        assert response.status_code == 403
        assert json.loads(response.body)["error"]["code"]


@pytest.mark.parametrize("query", ["?status=online", "?status=draft", "?status=", "?status=pending_review&page=2"])
def test_a_status_that_is_no_queue_or_an_unknown_parameter_is_422(client, auth, query):
    response = client.http.get(f"/admin/projects{query}", headers=auth("platform_admin"))
    assert response.status_code == 422, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] and error["message"]


def test_the_route_is_documented_with_every_status_it_answers(client):
    doc = json.loads(client.http.get("/openapi.json").body)
    get = doc["paths"]["/admin/projects"]["get"]
    assert {"200", "401", "403", "4XX"} <= set(get["responses"])  # 4XX: bad input (422 here)
    assert get["parameters"][0]["name"] == "status"
