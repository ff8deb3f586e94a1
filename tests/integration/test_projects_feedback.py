"""Progress feedback: who posts, due dates, lifting feedback_overdue, final reports, history."""

from datetime import timedelta

import pytest

from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal.audit import history
from chalicelib.dal.feedback import feedback_of_month
from chalicelib.dal.projects import ProjectModel
from chalicelib.logic.deadlines import shanghai_month
from tests.support import approved_org_via_api, created, draft_via_api, online_project_via_api, post

TEXT = {
    "text": "第一季度：已采购防护服2,000套，送达武汉市第一医院。",
    "amount_used_fen": 36_000_000,
    "period": "2026年第1季度",
}


@pytest.fixture
def joint(client, auth):
    """An online project raised by a qualified charity and executed by a partner."""
    raising = approved_org_via_api(client, auth)
    partner = approved_org_via_api(client, auth, qualified=False)
    project_id = online_project_via_api(client, auth, raising, executor_org_id=partner, feedback_interval_days=30)
    return raising, partner, project_id


def test_the_raising_charity_posts_feedback_and_the_next_due_date_moves(client, auth, joint):
    raising, _, project_id = joint
    due_before = ProjectModel.get(project_id).feedback_due_at
    posted_at = utcnow()
    response = post(client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=raising), TEXT)
    assert response.status_code == 201
    entry = response.json_body
    assert entry["org_id"] == raising and entry["on_time"] is True
    assert entry["due_at_when_posted"] == due_before and entry["amount_used_fen"] == 36_000_000
    project = ProjectModel.get(project_id)
    assert timedelta(days=29, hours=23) < parse_iso(project.feedback_due_at) - posted_at < timedelta(days=30, minutes=5)
    # the monthly report finds it by month
    stored = feedback_of_month(shanghai_month(posted_at))
    assert [f.feedback_id for f in stored] == [entry["feedback_id"]]


def test_the_executing_partner_posts_feedback_recorded_as_its_own(client, auth, joint):
    _, partner, project_id = joint
    entry = created(post(client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=partner), TEXT))
    assert entry["org_id"] == partner
    history_page = client.http.get(f"/projects/{project_id}/feedback").json_body
    assert [e["org_id"] for e in history_page["items"]] == [partner]


def test_only_the_projects_charities_post_feedback(client, auth, joint):
    _, _, project_id = joint
    for headers in (auth("org_admin", org_id="OTHER"), auth("donor"), auth("platform_admin")):
        assert post(client, f"/projects/{project_id}/feedback", headers, TEXT).status_code == 403
    assert post(client, f"/projects/{project_id}/feedback", None, TEXT).status_code == 401
    assert client.http.get(f"/projects/{project_id}/feedback").json_body["items"] == []


def test_feedback_lifts_feedback_overdue_and_the_project_goes_back_online(client, auth, joint):
    raising, _, project_id = joint
    # Given the feedback sweep took the project offline (it writes through the model)
    project = ProjectModel.get(project_id)
    project.update(
        actions=[
            ProjectModel.status.set("offline"),
            ProjectModel.offline_reasons.set(["feedback_overdue"]),
            ProjectModel.feedback_due_at.set(to_iso(utcnow() - timedelta(days=2))),
        ]
    )
    # When the charity posts its feedback late
    entry = created(post(client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=raising), TEXT))
    # Then it is recorded as late, and the project is online again, audited as feedback_posted
    assert entry["on_time"] is False
    page = client.http.get(f"/projects/{project_id}").json_body
    assert (page["status"], page["offline_reasons"]) == ("online", [])
    latest = history(project_id)[0]
    assert (latest.from_status, latest.to_status, latest.reason) == ("offline", "online", "feedback_posted")


def test_feedback_keeps_other_offline_reasons(client, auth, joint):
    raising, _, project_id = joint
    ProjectModel.get(project_id).update(
        actions=[
            ProjectModel.status.set("offline"),
            ProjectModel.offline_reasons.set(["feedback_overdue", "suspended"]),
        ]
    )
    created(post(client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=raising), TEXT))
    project = ProjectModel.get(project_id)
    assert (project.status, project.offline_reasons) == ("offline", ["suspended"])


def test_feedback_after_the_end_ends_the_project_and_counts_as_the_final_report(client, auth, joint):
    raising, _, project_id = joint
    ProjectModel.get(project_id).update(
        actions=[
            ProjectModel.status.set("offline"),
            ProjectModel.offline_reasons.set(["feedback_overdue"]),
            ProjectModel.end_at.set(to_iso(utcnow() - timedelta(days=3))),
        ]
    )
    created(post(client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=raising), TEXT))
    project = ProjectModel.get(project_id)
    assert project.status == "ended" and project.final_report_posted_at is not None
    assert history(project_id)[0].reason == "feedback_posted"


def test_a_final_report_before_the_end_is_recorded(client, auth, joint):
    _, partner, project_id = joint
    created(
        post(client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=partner), {**TEXT, "is_final": True})
    )
    assert ProjectModel.get(project_id).final_report_posted_at is not None


def test_drafts_take_no_feedback_and_bad_feedback_changes_nothing(client, auth):
    org_id = approved_org_via_api(client, auth)
    draft = draft_via_api(client, auth, org_id)["project_id"]
    response = post(client, f"/projects/{draft}/feedback", auth("org_admin", org_id=org_id), TEXT)
    assert response.status_code == 409 and response.json_body["error"]["code"] == "invalid_transition"
    online = online_project_via_api(client, auth, org_id)
    before = ProjectModel.get(online).serialize()
    for body in (
        {"text": ""},
        {**TEXT, "amount_used_fen": -5},
        {**TEXT, "image_keys": ["orgs/else/x.jpg"]},
        {**TEXT, "image_keys": [f"projects/{online}/{i}.jpg" for i in range(10)]},
    ):
        assert (
            400
            <= post(client, f"/projects/{online}/feedback", auth("org_admin", org_id=org_id), body).status_code
            < 500
        )
    assert ProjectModel.get(online).serialize() == before


def test_images_upload_under_the_project_and_are_referenced(client, auth, joint):
    _, partner, project_id = joint
    headers = auth("org_admin", org_id=partner)
    upload = created(post(client, f"/projects/{project_id}/uploads", headers, {"content_type": "image/png"}))
    assert upload["key"].startswith(f"projects/{project_id}/images/")
    entry = created(post(client, f"/projects/{project_id}/feedback", headers, {**TEXT, "image_keys": [upload["key"]]}))
    assert entry["image_keys"] == [upload["key"]]


def test_history_is_public_newest_first_and_paged(client, auth, joint):
    raising, _, project_id = joint
    for n in range(3):
        created(
            post(
                client, f"/projects/{project_id}/feedback", auth("org_admin", org_id=raising), {"text": f"第{n}次反馈"}
            )
        )
    first = client.http.get(f"/projects/{project_id}/feedback?limit=2").json_body
    assert [e["text"] for e in first["items"]] == ["第2次反馈", "第1次反馈"]
    rest = client.http.get(f"/projects/{project_id}/feedback?limit=2&before={first['next_before']}").json_body
    assert [e["text"] for e in rest["items"]] == ["第0次反馈"] and rest["next_before"] is None
    page = client.http.get(f"/projects/{project_id}").json_body
    assert [e["text"] for e in page["feedback"]] == ["第2次反馈", "第1次反馈", "第0次反馈"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # what the charity uploaded (the bytes, not a real picture)


def test_the_project_page_links_the_cover_and_feedback_images_for_anyone_to_see(client, auth, joint):
    import requests

    # Given a project whose cover and feedback image were uploaded through presigned PUTs
    raising, _, project_id = joint
    headers = auth("org_admin", org_id=raising)

    def uploaded() -> str:
        grant = created(post(client, f"/projects/{project_id}/uploads", headers, {"content_type": "image/png"}))
        put = requests.put(grant["upload_url"], data=PNG, headers={"Content-Type": "image/png"}, timeout=30)
        assert put.status_code == 200, put.text
        return str(grant["key"])

    ProjectModel.get(project_id).update(actions=[ProjectModel.cover_image_key.set(uploaded())])
    created(post(client, f"/projects/{project_id}/feedback", headers, {**TEXT, "image_keys": [uploaded()]}))

    # When anyone opens the project page
    page = client.http.get(f"/projects/{project_id}").json_body

    # Then its short-lived links download exactly what was uploaded; a project without images has none
    assert requests.get(page["cover_image_url"], timeout=30).content == PNG
    [image_url] = page["feedback"][0]["image_urls"]
    assert requests.get(image_url, timeout=30).content == PNG
    history = client.http.get(f"/projects/{project_id}/feedback").json_body
    assert len(history["items"][0]["image_urls"]) == 1
    plain = online_project_via_api(client, auth, raising)
    assert client.http.get(f"/projects/{plain}").json_body["cover_image_url"] is None
