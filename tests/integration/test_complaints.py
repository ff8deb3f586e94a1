"""Complaints: anyone files, admins see the queue (overdue ones by Query) and answer."""

from datetime import timedelta

from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal.complaints import ComplaintModel, complaints_of_month
from chalicelib.dal.outbox import notifications_for
from chalicelib.logic.deadlines import shanghai_month
from tests.support import approved_org_via_api, created, draft_via_api, online_project_via_api, post

REPORT = {"reason": "项目图片与另一平台的项目重复，怀疑虚假募捐。", "contact": "13812345678"}


def test_anyone_reports_a_project_and_sees_a_masked_receipt(client, auth):
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    filed_at = utcnow()
    response = post(client, f"/projects/{project_id}/complaints", None, REPORT)
    assert response.status_code == 201
    receipt = response.json_body
    assert receipt["contact"] == "138****5678" and receipt["status"] == "open"
    due = parse_iso(receipt["due_at"])
    # 5 working days: at least 5 and at most 9 calendar days later (weekends in between)
    assert timedelta(days=5) <= due - filed_at < timedelta(days=10)
    stored = ComplaintModel.get(receipt["complaint_id"])
    assert stored.contact == "13812345678" and stored.reporter_sub is None and stored.org_id == org_id
    assert [c.complaint_id for c in complaints_of_month(shanghai_month(filed_at))] == [receipt["complaint_id"]]
    assert notifications_for("platform")[0].kind == "complaint_filed"
    # a signed-in donor may report too, without a contact
    signed = created(
        post(client, f"/projects/{project_id}/complaints", auth("donor", sub="d1"), {"reason": "筹款目标明显虚高。"})
    )
    assert signed["contact"] is None and ComplaintModel.get(signed["complaint_id"]).reporter_sub == "d1"


def test_drafts_cannot_be_reported_and_bad_reports_store_nothing(client, auth):
    org_id = approved_org_via_api(client, auth)
    draft = draft_via_api(client, auth, org_id)["project_id"]
    assert post(client, f"/projects/{draft}/complaints", None, REPORT).status_code == 404
    online = online_project_via_api(client, auth, org_id)
    for body in ({"reason": "短"}, {"reason": "x" * 3000}, {**REPORT, "contact": "1" * 200}, {**REPORT, "extra": 1}):
        assert post(client, f"/projects/{online}/complaints", None, body).status_code == 422
    assert complaints_of_month(shanghai_month(utcnow())) == []


def test_the_queue_is_for_platform_admins_with_full_contact(client, auth):
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    complaint_id = created(post(client, f"/projects/{project_id}/complaints", None, REPORT))["complaint_id"]
    queue = client.http.get("/complaints", headers=auth("platform_admin")).json_body["items"]
    assert [(c["complaint_id"], c["contact"], c["overdue"]) for c in queue] == [(complaint_id, "13812345678", False)]
    for headers in (auth("donor"), auth("org_admin", org_id=org_id)):
        assert client.http.get("/complaints", headers=headers).status_code == 403
        assert client.http.get(f"/complaints/{complaint_id}", headers=headers).status_code == 403
        assert post(client, f"/complaints/{complaint_id}/response", headers, {"response": "x"}).status_code == 403
    assert client.http.get("/complaints").status_code == 401


def test_overdue_complaints_are_listed_for_admins(client, auth):
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    late = created(post(client, f"/projects/{project_id}/complaints", None, REPORT))["complaint_id"]
    created(post(client, f"/projects/{project_id}/complaints", None, REPORT))
    ComplaintModel.get(late).update(actions=[ComplaintModel.due_at.set(to_iso(utcnow() - timedelta(hours=1)))])
    overdue = client.http.get("/complaints?overdue=true", headers=auth("platform_admin")).json_body["items"]
    assert [(c["complaint_id"], c["overdue"]) for c in overdue] == [(late, True)]


def test_admins_answer_once_and_timeliness_is_recorded(client, auth):
    org_id = approved_org_via_api(client, auth)
    project_id = online_project_via_api(client, auth, org_id)
    complaint_id = created(post(client, f"/projects/{project_id}/complaints", None, REPORT))["complaint_id"]
    answer = {"response": "经核实，项目图片为机构自有，已要求机构补充说明。"}
    answered = created(post(client, f"/complaints/{complaint_id}/response", auth("platform_admin"), answer))
    assert (answered["status"], answered["answered_on_time"]) == ("answered", True)
    again = post(client, f"/complaints/{complaint_id}/response", auth("platform_admin"), answer)
    assert again.status_code == 409 and again.json_body["error"]["code"] == "already_answered"
    answered_queue = client.http.get("/complaints?status=answered", headers=auth("platform_admin")).json_body["items"]
    assert [c["complaint_id"] for c in answered_queue] == [complaint_id]
    assert client.http.get("/complaints", headers=auth("platform_admin")).json_body["items"] == []
    assert post(client, "/complaints/NOPE/response", auth("platform_admin"), answer).status_code == 404
