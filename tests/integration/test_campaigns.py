"""Emergency campaigns: admins create and attach online projects; anyone reads projects and totals."""

from chalicelib.dal.projects import ProjectModel
from chalicelib.dal.totals import ProjectCounterModel
from tests.support import approved_org_via_api, created, draft_via_api, online_project_via_api, post

COVID = {"title": "抗击新冠肺炎疫情", "description": "2020年新冠肺炎疫情防控专题"}


def test_a_campaign_gathers_projects_of_several_charities_and_sums_their_totals(client, auth):
    admin = auth("platform_admin")
    campaign = created(post(client, "/campaigns", admin, COVID))
    assert campaign["status"] == "active"
    first = online_project_via_api(client, auth, approved_org_via_api(client, auth))
    second = online_project_via_api(client, auth, approved_org_via_api(client, auth), category="灾害救助")
    for project_id in (first, second):
        response = post(client, f"/campaigns/{campaign['campaign_id']}/projects", admin, {"project_id": project_id})
        assert response.status_code == 201 and response.json_body["attached_now"] is True
    ProjectCounterModel.for_shard(first, 1, amount_fen=10_000, donation_count=3, donor_count=2).save()
    ProjectCounterModel.for_shard(second, 4, amount_fen=2_500, donation_count=1, donor_count=1).save()
    page = client.http.get(f"/campaigns/{campaign['campaign_id']}").json_body
    assert page["totals"] == {
        "amount_raised_fen": 12_500,
        "donation_count": 4,
        "donor_count": 3,
        # issue 16: the split, nothing imported or matched here
        "online_fen": 12_500,
        "imported_fen": 0,
        "matched_fen": 0,
        "total_fen": 12_500,
    }
    assert {p["project_id"]: p["totals"]["amount_raised_fen"] for p in page["projects"]} == {
        first: 10_000,
        second: 2_500,
    }
    assert ProjectModel.get(first).campaign_ids == [campaign["campaign_id"]]
    listed = client.http.get("/campaigns").json_body["items"]
    assert [c["campaign_id"] for c in listed] == [campaign["campaign_id"]]


def test_attaching_twice_is_a_harmless_replay(client, auth):
    admin = auth("platform_admin")
    campaign_id = created(post(client, "/campaigns", admin, COVID))["campaign_id"]
    project_id = online_project_via_api(client, auth, approved_org_via_api(client, auth))
    post(client, f"/campaigns/{campaign_id}/projects", admin, {"project_id": project_id})
    again = post(client, f"/campaigns/{campaign_id}/projects", admin, {"project_id": project_id})
    assert again.status_code == 200 and again.json_body["attached_now"] is False
    assert len(client.http.get(f"/campaigns/{campaign_id}").json_body["projects"]) == 1
    assert ProjectModel.get(project_id).campaign_ids == [campaign_id]


def test_only_online_projects_join(client, auth):
    admin = auth("platform_admin")
    campaign_id = created(post(client, "/campaigns", admin, COVID))["campaign_id"]
    draft = draft_via_api(client, auth, approved_org_via_api(client, auth))["project_id"]
    response = post(client, f"/campaigns/{campaign_id}/projects", admin, {"project_id": draft})
    assert response.status_code == 409 and response.json_body["error"]["code"] == "project_not_online"
    assert post(client, f"/campaigns/{campaign_id}/projects", admin, {"project_id": "NOPE"}).status_code == 404
    assert post(client, "/campaigns/NOPE/projects", admin, {"project_id": draft}).status_code == 404
    assert client.http.get(f"/campaigns/{campaign_id}").json_body["projects"] == []


def test_only_platform_admins_manage_campaigns(client, auth):
    campaign_id = created(post(client, "/campaigns", auth("platform_admin"), COVID))["campaign_id"]
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    for headers in (auth("donor"), auth("org_admin", org_id=org_id)):
        assert post(client, "/campaigns", headers, COVID).status_code == 403
        assert (
            post(client, f"/campaigns/{campaign_id}/projects", headers, {"project_id": project_id}).status_code == 403
        )
    assert post(client, "/campaigns", None, COVID).status_code == 401
    assert (
        post(client, "/campaigns", auth("platform_admin"), {"title": "x" * 100_000, "description": "d"}).status_code
        == 422
    )
    assert len(client.http.get("/campaigns").json_body["items"]) == 1
