"""Charities: applying, certificates, review, document uploads and the public page."""

from datetime import timedelta

import requests

from chalicelib.dal.audit import history
from chalicelib.dal.orgs import OrgModel, orgs_by_status
from tests.factories import certificate, credit_code, org_application, today
from tests.support import (
    apply_via_api,
    approved_org_via_api,
    created,
    draft_via_api,
    online_project_via_api,
    patch,
    post,
)


def test_a_signed_in_user_applies_and_the_charity_waits_for_review(client, auth):
    # Given a valid application with both certificates
    body = org_application(fundraising=certificate(days_valid=100))
    # When a donor-role user submits it
    response = post(client, "/orgs", auth("donor", sub="zhang"), body)
    # Then it is stored pending review, with the applicant and the earliest expiry recorded
    assert response.status_code == 201
    org = response.json_body
    assert org["status"] == "pending_review"
    assert org["has_fundraising_qualification"] is True
    stored = OrgModel.get(org["org_id"])
    assert stored.applicant_sub == "zhang"
    assert stored.cert_expires_on == body["fundraising"]["valid_to"]
    assert [a.to_status for a in history(org["org_id"])] == ["pending_review"]


def test_anonymous_users_cannot_apply(client):
    response = post(client, "/orgs", None, org_application())
    assert response.status_code == 401


def test_an_invalid_credit_code_is_refused_and_nothing_is_stored(client, auth):
    valid = credit_code()
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    for code in (wrong_check, "12345", "53420000MJ000000IO", valid[:17] + "Z", "5342000AMJ00000010"):
        response = post(client, "/orgs", auth("donor"), org_application(credit_code=code))
        assert response.status_code == 422, code
        assert response.json_body["error"]["code"] in {"invalid_credit_code"}, code
    assert orgs_by_status("pending_review") == []


def test_a_lower_case_valid_code_is_accepted_in_upper_case(client, auth):
    code = credit_code()
    org = created(post(client, "/orgs", auth("donor"), org_application(credit_code=code.lower())))
    assert org["credit_code"] == code


def test_a_credit_code_registers_one_charity_only(client, auth):
    code = credit_code()
    created(post(client, "/orgs", auth("donor", sub="a"), org_application(credit_code=code)))
    response = post(client, "/orgs", auth("donor", sub="b"), org_application(credit_code=code))
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "credit_code_taken"
    assert len(orgs_by_status("pending_review")) == 1


def test_bad_certificates_phone_and_unknown_fields_are_4xx(client, auth):
    cases = {
        "certificate_dates_invalid": org_application(
            registration=certificate(valid_from=today().isoformat(), valid_to=(today() - timedelta(days=1)).isoformat())
        ),
        "invalid_phone": org_application(contact_phone="12345"),
        "validation_error": org_application(status="approved"),
        "unknown_document_key": org_application(registration=certificate(document_key="orgs/other/x.pdf")),
    }
    for code, body in cases.items():
        response = post(client, "/orgs", auth("donor"), body)
        assert response.status_code == 422, code
        assert response.json_body["error"]["code"] == code
    assert orgs_by_status("pending_review") == []


def test_review_roles_approve_and_reject(client, auth):
    org = apply_via_api(client, auth)
    org_id = org["org_id"]
    # donors, the applicant and other charities' admins may not review
    for headers in (auth("donor"), auth("donor", sub="applicant"), auth("org_admin", org_id="OTHER")):
        assert post(client, f"/orgs/{org_id}/approve", headers).status_code == 403
        assert post(client, f"/orgs/{org_id}/reject", headers, {"reason": "资料不全"}).status_code == 403
    assert post(client, f"/orgs/{org_id}/approve", None).status_code == 401
    approved = created(post(client, f"/orgs/{org_id}/approve", auth("platform_admin")))
    assert approved["status"] == "approved"
    again = post(client, f"/orgs/{org_id}/approve", auth("platform_admin"))
    assert again.status_code == 409 and again.json_body["error"]["code"] == "invalid_transition"

    other = apply_via_api(client, auth)
    rejected = created(
        post(client, f"/orgs/{other['org_id']}/reject", auth("platform_admin"), {"reason": "登记证书已过期"})
    )
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == "登记证书已过期"
    assert [a.reason for a in history(other["org_id"])][0] == "登记证书已过期"


def test_an_expired_registration_cannot_be_approved(client, auth):
    org = apply_via_api(client, auth, registration=certificate(started_days_ago=3000, days_valid=-1))
    response = post(client, f"/orgs/{org['org_id']}/approve", auth("platform_admin"))
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "registration_expired"
    assert OrgModel.get(org["org_id"]).status == "pending_review"


def test_pending_charities_are_hidden_from_the_public(client, auth):
    org = apply_via_api(client, auth, sub="applicant")
    assert client.http.get(f"/orgs/{org['org_id']}").status_code == 404
    assert client.http.get(f"/orgs/{org['org_id']}", headers=auth("donor", sub="someone")).status_code == 404
    assert client.http.get(f"/orgs/{org['org_id']}", headers=auth("donor", sub="applicant")).status_code == 200
    assert client.http.get(f"/orgs/{org['org_id']}", headers=auth("platform_admin")).status_code == 200


def test_the_review_queue_is_for_platform_admins(client, auth):
    pending = apply_via_api(client, auth)
    approved_org_via_api(client, auth)
    queue = client.http.get("/orgs?status=pending_review", headers=auth("platform_admin")).json_body["items"]
    assert [o["org_id"] for o in queue] == [pending["org_id"]]
    assert client.http.get("/orgs", headers=auth("donor")).status_code == 403
    assert client.http.get("/orgs", headers=auth("org_admin", org_id=pending["org_id"])).status_code == 403
    assert client.http.get("/orgs").status_code == 401


def test_editing_certificates_sends_an_approved_charity_back_to_review(client, auth):
    org_id = approved_org_via_api(client, auth)
    headers = auth("org_admin", org_id=org_id)
    # contact changes keep it approved
    assert created(patch(client, f"/orgs/{org_id}", headers, {"contact_name": "李强"}))["status"] == "approved"
    # a new fundraising certificate expiring soon: back to review, expiry index updated
    soon = (today() + timedelta(days=30)).isoformat()
    edited = created(patch(client, f"/orgs/{org_id}", headers, {"fundraising": certificate(valid_to=soon)}))
    assert edited["status"] == "pending_review"
    assert OrgModel.get(org_id).cert_expires_on == soon
    assert history(org_id)[0].reason == "certificates_edited"
    # removing the qualification is an edit of certificates too
    created(post(client, f"/orgs/{org_id}/approve", auth("platform_admin")))
    removed = created(patch(client, f"/orgs/{org_id}", headers, {"fundraising": None}))
    assert removed["fundraising"] is None and removed["status"] == "pending_review"


def test_another_charitys_admin_cannot_edit_and_bad_edits_change_nothing(client, auth):
    org_id = approved_org_via_api(client, auth)
    before = OrgModel.get(org_id).serialize()
    forbidden = patch(client, f"/orgs/{org_id}", auth("org_admin", org_id="OTHER"), {"contact_name": "黑客"})
    assert forbidden.status_code == 403
    assert patch(client, f"/orgs/{org_id}", auth("donor"), {"contact_name": "黑客"}).status_code == 403
    bad = {
        "registration": certificate(valid_from="2030-01-01", valid_to="2020-01-01"),
        "credit_code": credit_code(),
        "name": "x" * 200_000,
        "contact_phone": "not a phone",
    }
    for field, value in bad.items():
        response = patch(client, f"/orgs/{org_id}", auth("org_admin", org_id=org_id), {field: value})
        assert 400 <= response.status_code < 500, field
    assert OrgModel.get(org_id).serialize() == before


def test_certificate_scans_upload_through_presigned_urls(client, auth, aws):
    org = apply_via_api(client, auth, sub="applicant")
    org_id = org["org_id"]
    headers = auth("donor", sub="applicant")
    # When the applicant asks for an upload URL and PUTs the scan there
    upload = created(
        post(client, f"/orgs/{org_id}/documents", headers, {"kind": "registration", "content_type": "application/pdf"})
    )
    assert upload["key"].startswith(f"orgs/{org_id}/registration/") and upload["key"].endswith(".pdf")
    put = requests.put(
        upload["upload_url"], data=b"%PDF-1.4 scan", headers={"Content-Type": "application/pdf"}, timeout=10
    )
    assert put.status_code == 200
    # Then the key can be referenced from the certificate, and the public page links it
    cert = certificate(document_key=upload["key"])
    edited = created(patch(client, f"/orgs/{org_id}", headers, {"registration": cert}))
    assert edited["registration"]["document_url"]
    from chalicelib.dal.aws import aws_client

    body = aws_client(aws, "s3").get_object(Bucket=aws.documents_bucket, Key=upload["key"])["Body"].read()
    assert body == b"%PDF-1.4 scan"
    # Others get no upload URL; unsupported types are refused
    assert post(client, f"/orgs/{org_id}/documents", auth("org_admin", org_id="OTHER"), {}).status_code == 403
    assert post(client, f"/orgs/{org_id}/documents", auth("donor", sub="x"), {}).status_code == 403
    assert post(client, f"/orgs/{org_id}/documents", None, {}).status_code == 401
    bad_type = post(client, f"/orgs/{org_id}/documents", headers, {"content_type": "text/html"})
    assert bad_type.status_code == 422 and bad_type.json_body["error"]["code"] == "unsupported_content_type"


def test_the_public_page_shows_both_certificates_contact_and_public_projects_only(client, auth):
    org_id = approved_org_via_api(client, auth)
    online = online_project_via_api(client, auth, org_id)
    draft = draft_via_api(client, auth, org_id, title="尚未提交的草稿项目")["project_id"]
    page = client.http.get(f"/orgs/{org_id}").json_body
    assert page["registration"]["valid_today"] is True
    assert page["fundraising"]["number"].startswith("鄂民证字")
    assert page["contact_name"] == "王敏" and page["contact_phone"] == "13912345678"
    assert [p["project_id"] for p in page["projects"]] == [online]
    own = client.http.get(f"/orgs/{org_id}", headers=auth("org_admin", org_id=org_id)).json_body
    assert {p["project_id"] for p in own["projects"]} == {online, draft}
