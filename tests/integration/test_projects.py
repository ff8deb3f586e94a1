"""Projects: drafting, bad input, the review lifecycle, offline reasons, visibility and roles."""

from datetime import timedelta

import pytest

from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal.audit import history
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel, projects_of_org
from chalicelib.dal.totals import ProjectCounterModel
from chalicelib.logic.deadlines import final_report_due_iso
from tests.factories import org_application, project_draft, today
from tests.support import approved_org_via_api, created, draft_via_api, online_project_via_api, patch, post


@pytest.fixture
def charity(client, auth):
    return approved_org_via_api(client, auth)


def admin_of(auth, org_id):
    return auth("org_admin", org_id=org_id)


def test_an_org_admin_drafts_a_project_with_shanghai_times_and_default_shards(client, auth, aws, charity):
    start, end = today(), today() + timedelta(days=30)
    body = project_draft(start_date=start.isoformat(), end_date=end.isoformat())
    response = post(client, "/projects", admin_of(auth, charity), body)
    assert response.status_code == 201
    project = response.json_body
    assert project["status"] == "draft"
    assert project["raising_org"]["org_id"] == charity
    # start/end are the Shanghai calendar days, stored in UTC
    assert project["start_at"] == f"{(start - timedelta(days=1)).isoformat()}T16:00:00.000000Z"
    assert project["end_at"] == f"{end.isoformat()}T15:59:59.999999Z"
    assert project["final_report_due_at"] == final_report_due_iso(project["end_at"])
    assert project["counter_shards"] == aws.default_counter_shards
    assert (project["amount_raised_fen"], project["donor_count"], project["donation_count"]) == (0, 0, 0)
    assert project["feedback_interval_days"] == 90 and project["feedback_due_at"] is None
    assert "互联网公开募捐信息平台" in project["disclaimer"]


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"start_date": "2030-03-01", "end_date": "2030-02-01"}, 422, "end_before_start"),
        ({"target_fen": -100}, 422, "validation_error"),
        ({"target_fen": 0}, 422, "validation_error"),
        ({"target_fen": 12.5}, 422, "validation_error"),
        ({"category": "宠物"}, 422, "validation_error"),
        ({"province": "火星"}, 422, "validation_error"),
        ({"title": "长" * 200_000}, 422, "validation_error"),
        ({"feedback_interval_days": 180}, 422, "validation_error"),
        ({"end_date": "2020-01-31", "start_date": "2020-01-01"}, 422, "end_in_past"),
        ({"executor_org_id": "NOPE"}, 422, "executor_not_approved"),
        ({"cover_image_key": "orgs/someone-else/x.jpg"}, 422, "unknown_image_key"),
        ({"status": "online"}, 422, "validation_error"),
    ],
)
def test_bad_project_input_is_4xx_with_a_clear_code_and_stores_nothing(client, auth, charity, overrides, status, code):
    response = post(client, "/projects", admin_of(auth, charity), project_draft(**overrides))
    assert response.status_code == status
    assert response.json_body["error"]["code"] == code
    assert projects_of_org(charity) == []


def test_bad_edits_leave_the_stored_project_unchanged(client, auth, charity):
    project_id = draft_via_api(client, auth, charity)["project_id"]
    before = ProjectModel.get(project_id).serialize()
    bad_edits = [
        {"end_date": "2000-01-01"},
        {"target_fen": -1},
        {"category": "unknown"},
        {"title": "x" * 200_000},
        {"cover_image_key": "orgs/else/a.png"},
        {"org_id": "someone-else"},
    ]
    for edit in bad_edits:
        response = patch(client, f"/projects/{project_id}", admin_of(auth, charity), edit)
        assert 400 <= response.status_code < 500, edit
    assert ProjectModel.get(project_id).serialize() == before


def test_draft_edits_recompute_dates(client, auth, charity):
    project_id = draft_via_api(client, auth, charity)["project_id"]
    end = today() + timedelta(days=200)
    edited = created(
        patch(
            client,
            f"/projects/{project_id}",
            admin_of(auth, charity),
            {"end_date": end.isoformat(), "title": "新的项目标题", "target_fen": 1_000},
        )
    )
    assert edited["end_at"] == f"{end.isoformat()}T15:59:59.999999Z"
    assert (edited["title"], edited["target_fen"]) == ("新的项目标题", 1_000)


def test_only_approved_charities_create_projects(client, auth):
    pending = created(post(client, "/orgs", auth("donor"), org_application()))
    response = post(client, "/projects", admin_of(auth, pending["org_id"]), project_draft())
    assert response.status_code == 409 and response.json_body["error"]["code"] == "org_not_approved"
    assert post(client, "/projects", auth("donor"), project_draft()).status_code == 403
    assert post(client, "/projects", auth("platform_admin"), project_draft()).status_code == 403
    assert post(client, "/projects", None, project_draft()).status_code == 401


def test_the_full_lifecycle_is_audited(client, auth, charity):
    headers = admin_of(auth, charity)
    project_id = draft_via_api(client, auth, charity)["project_id"]
    assert created(post(client, f"/projects/{project_id}/submit", headers))["status"] == "pending_review"
    approved_at = utcnow()
    online = created(post(client, f"/projects/{project_id}/approve", auth("platform_admin")))
    assert online["status"] == "online"
    due = parse_iso(online["feedback_due_at"])
    assert timedelta(days=89, hours=23) < due - approved_at < timedelta(days=90, minutes=5)
    suspended = created(post(client, f"/projects/{project_id}/suspend", auth("platform_admin")))
    assert (suspended["status"], suspended["offline_reasons"]) == ("offline", ["suspended"])
    # a replayed suspend changes nothing
    assert created(post(client, f"/projects/{project_id}/suspend", auth("platform_admin")))["offline_reasons"] == [
        "suspended"
    ]
    resumed = created(post(client, f"/projects/{project_id}/resume", auth("platform_admin")))
    assert (resumed["status"], resumed["offline_reasons"]) == ("online", [])
    trail = [(a.from_status, a.to_status, a.reason) for a in reversed(history(project_id))]
    assert trail == [
        (None, "draft", "created"),
        ("draft", "pending_review", "submitted"),
        ("pending_review", "online", "approved"),
        ("online", "offline", "suspended"),
        ("offline", "online", "resumed"),
    ]


def test_a_rejected_project_is_resubmitted(client, auth, charity):
    project_id = draft_via_api(client, auth, charity)["project_id"]
    post(client, f"/projects/{project_id}/submit", admin_of(auth, charity))
    rejected = created(
        post(client, f"/projects/{project_id}/reject", auth("platform_admin"), {"reason": "备案编号有误"})
    )
    assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "备案编号有误")
    created(patch(client, f"/projects/{project_id}", admin_of(auth, charity), {"filing_number": "53420000A2026001"}))
    assert (
        created(post(client, f"/projects/{project_id}/submit", admin_of(auth, charity)))["status"] == "pending_review"
    )


@pytest.mark.parametrize(
    ("setup", "action", "role"),
    [
        ("draft", "approve", "platform_admin"),
        ("draft", "reject", "platform_admin"),
        ("draft", "resume", "platform_admin"),
        ("draft", "suspend", "platform_admin"),
        ("draft", "close", "platform_admin"),
        ("online", "submit", "org_admin"),
        ("online", "approve", "platform_admin"),
        ("online", "resume", "platform_admin"),
        ("online", "close", "org_admin"),
    ],
)
def test_any_other_transition_is_409_invalid_transition(client, auth, charity, setup, action, role):
    if setup == "draft":
        project_id = draft_via_api(client, auth, charity)["project_id"]
    else:
        project_id = online_project_via_api(client, auth, charity)
    before = ProjectModel.get(project_id).serialize()
    headers = auth(role, org_id=charity if role == "org_admin" else None)
    response = post(
        client, f"/projects/{project_id}/{action}", headers, {"reason": "测试原因"} if action == "reject" else None
    )
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "invalid_transition"
    assert ProjectModel.get(project_id).serialize() == before


def test_an_unqualified_charity_cannot_go_online_but_a_partner_project_can(client, auth, charity):
    partner = approved_org_via_api(client, auth, qualified=False)
    own = draft_via_api(client, auth, partner)["project_id"]
    response = post(client, f"/projects/{own}/submit", admin_of(auth, partner))
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "fundraising_qualification_required"
    assert ProjectModel.get(own).status == "draft"
    # raised through the qualified charity, executed by the partner (合作募捐)
    joint = online_project_via_api(client, auth, charity, executor_org_id=partner)
    page = client.http.get(f"/projects/{joint}").json_body
    assert page["status"] == "online"
    assert page["raising_org"]["has_fundraising_qualification"] is True
    assert page["executing_org"]["org_id"] == partner
    assert page["executing_org"]["has_fundraising_qualification"] is False


def test_an_expired_qualification_blocks_approval(client, auth, charity):
    project_id = draft_via_api(client, auth, charity)["project_id"]
    post(client, f"/projects/{project_id}/submit", admin_of(auth, charity))
    org = OrgModel.get(charity)
    org.fundraising.valid_to = (today() - timedelta(days=1)).isoformat()
    org.save()
    response = post(client, f"/projects/{project_id}/approve", auth("platform_admin"))
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "fundraising_qualification_expired"
    assert ProjectModel.get(project_id).status == "pending_review"


def test_resume_keeps_a_project_offline_while_other_reasons_remain(client, auth, charity):
    project_id = online_project_via_api(client, auth, charity)
    post(client, f"/projects/{project_id}/suspend", auth("platform_admin"))
    # the feedback sweep (another job) adds its own reason directly
    project = ProjectModel.get(project_id)
    project.update(actions=[ProjectModel.offline_reasons.set(["suspended", "feedback_overdue"])])
    resumed = created(post(client, f"/projects/{project_id}/resume", auth("platform_admin")))
    assert (resumed["status"], resumed["offline_reasons"]) == ("offline", ["feedback_overdue"])


def test_resuming_after_the_end_date_ends_the_project(client, auth, charity):
    project_id = online_project_via_api(client, auth, charity)
    post(client, f"/projects/{project_id}/suspend", auth("platform_admin"))
    ProjectModel.get(project_id).update(actions=[ProjectModel.end_at.set(to_iso(utcnow() - timedelta(days=1)))])
    assert created(post(client, f"/projects/{project_id}/resume", auth("platform_admin")))["status"] == "ended"


def test_live_projects_only_change_descriptive_fields(client, auth, charity):
    project_id = online_project_via_api(client, auth, charity)
    headers = admin_of(auth, charity)
    locked = patch(client, f"/projects/{project_id}", headers, {"target_fen": 1, "summary": "改了摘要"})
    assert locked.status_code == 409 and locked.json_body["error"]["code"] == "field_locked_while_online"
    assert created(patch(client, f"/projects/{project_id}", headers, {"summary": "改了摘要"}))["summary"] == "改了摘要"


def test_closing_needs_the_final_report_from_the_charity(client, auth, charity):
    project_id = online_project_via_api(client, auth, charity)
    ProjectModel.get(project_id).update(actions=[ProjectModel.status.set("ended")])  # the end-date job
    refused = post(client, f"/projects/{project_id}/close", admin_of(auth, charity))
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "final_report_missing"
    post(
        client,
        f"/projects/{project_id}/feedback",
        admin_of(auth, charity),
        {"text": "结项报告：善款已全部使用完毕。", "is_final": True},
    )
    assert created(post(client, f"/projects/{project_id}/close", admin_of(auth, charity)))["status"] == "closed"
    assert post(client, f"/projects/{project_id}/close", auth("platform_admin")).status_code == 409


def test_drafts_are_visible_to_their_charities_and_admins_only(client, auth, charity):
    partner = approved_org_via_api(client, auth, qualified=False)
    project_id = draft_via_api(client, auth, charity, executor_org_id=partner)["project_id"]
    assert client.http.get(f"/projects/{project_id}").status_code == 404
    assert client.http.get(f"/projects/{project_id}", headers=auth("donor")).status_code == 404
    assert client.http.get(f"/projects/{project_id}", headers=admin_of(auth, "OTHER")).status_code == 404
    for headers in (admin_of(auth, charity), admin_of(auth, partner), auth("platform_admin")):
        assert client.http.get(f"/projects/{project_id}", headers=headers).status_code == 200
    assert client.http.get("/projects/NOPE").json_body["error"]["code"] == "project_not_found"


def test_totals_come_from_the_sharded_counters(client, auth, charity):
    project_id = online_project_via_api(client, auth, charity)
    ProjectCounterModel.for_shard(project_id, 0, amount_fen=1000, donation_count=2, donor_count=2).save()
    ProjectCounterModel.for_shard(project_id, 7, amount_fen=550, donation_count=1, donor_count=1).save()
    page = client.http.get(f"/projects/{project_id}").json_body
    assert (page["amount_raised_fen"], page["donation_count"], page["donor_count"]) == (1550, 3, 3)


def test_another_charitys_admin_gets_403_on_every_write(client, auth, charity):
    draft = draft_via_api(client, auth, charity)["project_id"]
    online = online_project_via_api(client, auth, charity)
    intruder = admin_of(auth, approved_org_via_api(client, auth))
    writes = [
        ("PATCH", f"/projects/{draft}", {"title": "被篡改的标题"}),
        ("POST", f"/projects/{draft}/submit", None),
        ("POST", f"/projects/{online}/close", None),
        ("POST", f"/projects/{online}/feedback", {"text": "冒名反馈"}),
        ("POST", f"/projects/{online}/uploads", {}),
        ("POST", f"/projects/{online}/approve", None),
        ("POST", f"/projects/{online}/reject", {"reason": "无"}),
        ("POST", f"/projects/{online}/suspend", None),
        ("POST", f"/projects/{online}/resume", None),
        ("PATCH", f"/orgs/{charity}", {"contact_name": "冒名"}),
        ("POST", f"/orgs/{charity}/documents", {}),
        ("POST", f"/orgs/{charity}/approve", None),
        ("POST", f"/orgs/{charity}/reject", {"reason": "无"}),
    ]
    snapshots = {pid: ProjectModel.get(pid).serialize() for pid in (draft, online)}
    for method, path, body in writes:
        response = patch(client, path, intruder, body) if method == "PATCH" else post(client, path, intruder, body)
        assert response.status_code == 403, (method, path, response.json_body)
    assert {pid: ProjectModel.get(pid).serialize() for pid in (draft, online)} == snapshots


def test_donors_get_403_on_admin_routes_and_anonymous_users_401(client, auth, charity):
    online = online_project_via_api(client, auth, charity)
    admin_routes = [
        f"/projects/{online}/approve",
        f"/projects/{online}/suspend",
        f"/projects/{online}/resume",
        f"/orgs/{charity}/approve",
    ]
    for path in admin_routes:
        assert post(client, path, auth("donor")).status_code == 403, path
        assert post(client, path, None).status_code == 401, path
    for path in (f"/projects/{online}/reject", f"/orgs/{charity}/reject"):
        assert post(client, path, auth("donor"), {"reason": "无理由"}).status_code == 403, path
    assert patch(client, f"/projects/{online}", auth("donor"), {"summary": "x"}).status_code == 403
    # public reads work anonymously
    assert client.http.get(f"/projects/{online}").status_code == 200
    assert client.http.get(f"/orgs/{charity}").status_code == 200


def test_a_concurrent_offline_reason_is_never_overwritten(client, auth, charity):
    from chalicelib.logic.projects import mutate_project

    project_id = online_project_via_api(client, auth, charity)
    attempts = []

    def suspend(project):
        attempts.append(list(project.offline_reasons))
        if len(attempts) == 1:  # the feedback sweep writes between our read and our write
            ProjectModel.get(project_id).update(
                actions=[ProjectModel.status.set("offline"), ProjectModel.offline_reasons.set(["feedback_overdue"])]
            )
        project.offline_reasons = [*project.offline_reasons, "suspended"]
        project.status = "offline"
        return "suspended"

    mutate_project(project_id, suspend, actor="test")
    assert attempts == [[], ["feedback_overdue"]]
    assert ProjectModel.get(project_id).offline_reasons == ["feedback_overdue", "suspended"]


def test_approving_renewed_certificates_lifts_certificate_expired(client, auth, charity):
    project_id = online_project_via_api(client, auth, charity)
    # the certificate job took the project offline
    ProjectModel.get(project_id).update(
        actions=[ProjectModel.status.set("offline"), ProjectModel.offline_reasons.set(["certificate_expired"])]
    )
    headers = admin_of(auth, charity)
    renewed = {"number": "鄂民募字〔2026〕001号", "valid_from": today().isoformat(), "valid_to": "2031-12-31"}
    assert created(patch(client, f"/orgs/{charity}", headers, {"fundraising": renewed}))["status"] == "pending_review"
    created(post(client, f"/orgs/{charity}/approve", auth("platform_admin")))
    project = ProjectModel.get(project_id)
    assert (project.status, project.offline_reasons) == ("online", [])
    assert history(project_id)[0].reason == "certificate_renewed"
