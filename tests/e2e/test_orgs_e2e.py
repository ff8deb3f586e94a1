"""Charities, projects, feedback, complaints and campaigns over HTTP against the local stack."""

import requests

from tests.factories import org_application, project_draft
from tests.support import Api, ok


def demo_campaign(stack):
    campaigns = ok(Api(stack).get("/campaigns"))["items"]
    covid = next(c for c in campaigns if c["title"] == "抗击新冠肺炎疫情")
    return ok(Api(stack).get(f"/campaigns/{covid['campaign_id']}"))


def test_demo_data_is_served(stack):
    campaign = demo_campaign(stack)
    titles = {p["title"] for p in campaign["projects"]}
    assert "驰援武汉：一线医护人员防护物资紧急募捐" in titles
    assert all(p["status"] == "online" for p in campaign["projects"])
    partner_project = next(p for p in campaign["projects"] if p["city"] == "宜昌")
    page = ok(Api(stack).get(f"/projects/{partner_project['project_id']}"))
    assert page["raising_org"]["has_fundraising_qualification"] is True
    partner = page["executing_org"]
    assert partner["has_fundraising_qualification"] is False
    # the unqualified partner's own project cannot go online
    partner_admin = Api(stack, "org_admin", org_id=partner["org_id"], sub="e2e-shanhe")
    drafts = [p for p in ok(partner_admin.get(f"/orgs/{partner['org_id']}"))["projects"] if p["status"] == "draft"]
    refused = partner_admin.post(f"/projects/{drafts[0]['project_id']}/submit")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "fundraising_qualification_required"


def test_the_onboarding_flow_end_to_end(stack):
    applicant = Api(stack, "donor", sub="e2e-applicant")
    ops = Api(stack, "platform_admin", sub="e2e-ops")
    anonymous = Api(stack)
    # a user applies, uploads the registration scan and references it
    org = ok(applicant.post("/orgs", org_application()), 201)
    org_id = org["org_id"]
    upload = ok(applicant.post(f"/orgs/{org_id}/documents", {"kind": "registration"}), 201)
    put = requests.put(upload["upload_url"], data=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}, timeout=30)
    assert put.status_code == 200
    registration = {**org_application()["registration"], "document_key": upload["key"]}
    ok(applicant.patch(f"/orgs/{org_id}", {"registration": registration}))
    assert anonymous.get(f"/orgs/{org_id}").status_code == 404
    assert ok(ops.get("/orgs?status=pending_review"))["items"]
    assert ok(ops.post(f"/orgs/{org_id}/approve"))["status"] == "approved"
    public_org = ok(anonymous.get(f"/orgs/{org_id}"))
    assert public_org["registration"]["document_url"]
    # its admin drafts a project executed by the demo partner, submits it; the platform approves it
    partner_id = ok(
        anonymous.get(
            f"/projects/{next(p for p in demo_campaign(stack)['projects'] if p['city'] == '宜昌')['project_id']}"
        )
    )["executing_org"]["org_id"]
    admin = Api(stack, "org_admin", org_id=org_id, sub="e2e-org-admin")
    project = ok(admin.post("/projects", project_draft(executor_org_id=partner_id, category="乡村振兴")), 201)
    project_id = project["project_id"]
    assert anonymous.get(f"/projects/{project_id}").status_code == 404
    ok(admin.post(f"/projects/{project_id}/submit"))
    online = ok(ops.post(f"/projects/{project_id}/approve"))
    assert online["status"] == "online" and online["feedback_due_at"]
    # the executing partner posts feedback; it is public
    partner_admin = Api(stack, "org_admin", org_id=partner_id, sub="e2e-partner")
    ok(
        partner_admin.post(
            f"/projects/{project_id}/feedback", {"text": "首批种苗已发放到户。", "amount_used_fen": 120000}
        ),
        201,
    )
    feedback = ok(anonymous.get(f"/projects/{project_id}/feedback"))["items"]
    assert [f["org_id"] for f in feedback] == [partner_id]
    # anyone complains; the platform answers
    receipt = ok(
        anonymous.post(
            f"/projects/{project_id}/complaints", {"reason": "受助村名单与实际不符。", "contact": "13612345678"}
        ),
        201,
    )
    assert receipt["contact"] == "136****5678"
    queue = ok(ops.get("/complaints"))["items"]
    assert receipt["complaint_id"] in {c["complaint_id"] for c in queue}
    answered = ok(
        ops.post(f"/complaints/{receipt['complaint_id']}/response", {"response": "已核实并要求机构更正名单。"})
    )
    assert answered["status"] == "answered"
    # the platform gathers it into a campaign
    campaign = ok(ops.post("/campaigns", {"title": "乡村振兴专题", "description": "巩固脱贫攻坚成果"}), 201)
    ok(ops.post(f"/campaigns/{campaign['campaign_id']}/projects", {"project_id": project_id}), 201)
    detail = ok(anonymous.get(f"/campaigns/{campaign['campaign_id']}"))
    assert [p["project_id"] for p in detail["projects"]] == [project_id]
    assert detail["totals"]["amount_raised_fen"] == 0
    # suspension and resume by the platform
    assert ok(ops.post(f"/projects/{project_id}/suspend"))["status"] == "offline"
    assert ok(ops.post(f"/projects/{project_id}/resume"))["status"] == "online"


def test_roles_over_http(stack):
    project_id = demo_campaign(stack)["projects"][0]["project_id"]
    other_admin = Api(stack, "org_admin", org_id="SOMEONE-ELSE", sub="e2e-other")
    donor = Api(stack, "donor", sub="e2e-donor")
    anonymous = Api(stack)
    assert other_admin.patch(f"/projects/{project_id}", {"summary": "篡改"}).status_code == 403
    assert other_admin.post(f"/projects/{project_id}/feedback", {"text": "冒名"}).status_code == 403
    for path in (f"/projects/{project_id}/suspend", f"/projects/{project_id}/approve"):
        assert donor.post(path).status_code == 403
        assert anonymous.post(path).status_code == 401
    assert donor.get("/complaints").status_code == 403
    assert anonymous.post("/projects", project_draft()).status_code == 401
    assert anonymous.post("/campaigns", {"title": "x", "description": "y"}).status_code == 401
    bad = donor.post("/orgs", org_application(credit_code="53420000MJ00000010"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_credit_code"


def test_rejections_edits_uploads_and_complaint_lookup_over_http(stack):
    ops = Api(stack, "platform_admin", sub="e2e-ops2")
    applicant = Api(stack, "donor", sub="e2e-applicant2")
    # a charity is rejected with a reason
    refused = ok(applicant.post("/orgs", org_application()), 201)
    assert ok(ops.post(f"/orgs/{refused['org_id']}/reject", {"reason": "登记证书复印件不清晰"}))["status"] == "rejected"
    # a project is rejected, edited and resubmitted; images upload under the project
    org_id = ok(applicant.post("/orgs", org_application()), 201)["org_id"]
    ok(ops.post(f"/orgs/{org_id}/approve"))
    admin = Api(stack, "org_admin", org_id=org_id, sub="e2e-admin2")
    project_id = ok(admin.post("/projects", project_draft()), 201)["project_id"]
    ok(admin.post(f"/projects/{project_id}/submit"))
    assert ok(ops.post(f"/projects/{project_id}/reject", {"reason": "备案编号有误"}))["status"] == "rejected"
    upload = ok(admin.post(f"/projects/{project_id}/uploads", {"content_type": "image/jpeg"}), 201)
    put = requests.put(upload["upload_url"], data=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"}, timeout=30)
    assert put.status_code == 200
    edited = ok(
        admin.patch(f"/projects/{project_id}", {"filing_number": "53420000A26009", "cover_image_key": upload["key"]})
    )
    assert edited["cover_image_key"] == upload["key"]
    assert ok(admin.post(f"/projects/{project_id}/submit"))["status"] == "pending_review"
    ok(ops.post(f"/projects/{project_id}/approve"))
    complaint = ok(Api(stack).post(f"/projects/{project_id}/complaints", {"reason": "封面图片与项目无关。"}), 201)
    assert ok(ops.get(f"/complaints/{complaint['complaint_id']}"))["status"] == "open"
