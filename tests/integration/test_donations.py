"""Giving, reading and refunding donations, through the routes, on moto."""

from __future__ import annotations

import json
import uuid

from chalicelib.dal.donations import DonationModel
from chalicelib.dal.totals import read_totals
from tests.factories import gift, make_project, sandbox_headers_body


def donate(client, project_id, body, *, key=None, headers=None):
    h = {"Content-Type": "application/json", "Idempotency-Key": key or str(uuid.uuid4())}
    h.update(headers or {})
    return client.http.post(f"/projects/{project_id}/donations", headers=h, body=json.dumps(body))


def pay(client, settings, started, **kw):
    headers, body = sandbox_headers_body(settings, started, **kw)
    return client.http.post("/payments/sandbox/notify", headers=headers, body=body)


def test_giving_creates_a_pending_donation_on_a_shard_with_payment_instructions(client, aws):
    # Given an online project with 4 counter shards
    project = make_project(counter_shards=4)
    # When a donor gives 50 yuan through the sandbox
    response = donate(client, project.project_id, gift(amount_fen=5000))
    # Then a pending donation exists with a shard key, a hashed phone and a deadline
    assert response.status_code == 201, response.json_body
    started = response.json_body
    donation = DonationModel.get(started["donation"]["donation_id"])
    assert donation.status == "pending" and started["donation"]["status"] == "pending"
    assert 0 <= donation.shard < 4
    assert donation.project_shard == f"{project.project_id}#{donation.shard}"
    assert donation.phone_hash and donation.phone_hash != "13912345678"
    assert donation.pay_by > donation.created_at and donation.expires_at is not None
    assert started["donation"]["donor_phone"] == "139****5678"
    assert started["payment"]["provider"] == "sandbox"
    assert started["payment"]["fields"]["amount_fen"] == 5000
    # And nothing counts yet
    assert read_totals(project.project_id).amount_fen == 0


def test_same_idempotency_key_and_body_returns_the_same_donation(client, aws):
    project = make_project()
    first = donate(client, project.project_id, gift(), key="k-1")
    second = donate(client, project.project_id, gift(), key="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json_body["donation"]["donation_id"] == second.json_body["donation"]["donation_id"]
    assert len(list(DonationModel.scan())) == 1


def test_same_idempotency_key_with_another_body_is_422(client, aws):
    project = make_project()
    donate(client, project.project_id, gift(amount_fen=100), key="k-2")
    response = donate(client, project.project_id, gift(amount_fen=200), key="k-2")
    assert response.status_code == 422
    assert response.json_body["error"]["code"] == "idempotency_key_reused"


def test_missing_idempotency_key_is_400(client, aws):
    project = make_project()
    response = client.http.post(
        f"/projects/{project.project_id}/donations",
        headers={"Content-Type": "application/json"},
        body=json.dumps(gift()),
    )
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "idempotency_key_required"


def test_invalid_gifts_are_422_naming_the_field(client, aws):
    project = make_project()
    cases = {
        "amount_fen": gift(amount_fen=0),
        "donor_phone": gift(donor_phone="12345678901"),
        "message": gift(message="长" * 201),
        "channel": gift(channel="paypal"),
    }
    for field, body in cases.items():
        response = donate(client, project.project_id, body)
        assert response.status_code == 422, field
        assert field in {d["field"] for d in response.json_body["error"]["details"]}, field
    above_cap = donate(client, project.project_id, gift(amount_fen=aws.donation_cap_fen + 1))
    assert above_cap.status_code == 422
    assert above_cap.json_body["error"]["details"][0]["code"] == "above_cap"


def test_offline_not_started_and_ended_projects_refuse_donations_with_409(client, aws):
    from datetime import timedelta

    offline = make_project(status="offline")
    future = make_project(starts_in=timedelta(days=3))
    ended = make_project(starts_in=timedelta(days=-40), lasts=timedelta(days=10))
    expected = {
        offline.project_id: "project_not_accepting_donations",
        future.project_id: "project_not_started",
        ended.project_id: "project_ended",
    }
    for project_id, code in expected.items():
        response = donate(client, project_id, gift())
        assert response.status_code == 409, code
        assert response.json_body["error"]["code"] == code
    assert donate(client, "01NOSUCHPROJECT", gift()).status_code == 404


def test_donor_token_is_recorded_and_me_donations_lists_them(client, aws, auth):
    project = make_project()
    headers = auth("donor", sub="donor-42")
    started = donate(client, project.project_id, gift(), headers=headers).json_body
    assert DonationModel.get(started["donation"]["donation_id"]).donor_sub == "donor-42"
    mine = client.http.get("/me/donations", headers=headers)
    assert mine.status_code == 200
    assert [d["donation_id"] for d in mine.json_body["items"]] == [started["donation"]["donation_id"]]
    assert client.http.get("/me/donations").status_code == 401


def test_donation_detail_is_for_its_donor_and_platform_admins_only(client, aws, auth):
    project = make_project()
    started = donate(client, project.project_id, gift(), headers=auth("donor", sub="donor-a")).json_body
    donation_id = started["donation"]["donation_id"]
    own = client.http.get(f"/donations/{donation_id}", headers=auth("donor", sub="donor-a"))
    admin = client.http.get(f"/donations/{donation_id}", headers=auth("platform_admin"))
    other = client.http.get(f"/donations/{donation_id}", headers=auth("donor", sub="donor-b"))
    anonymous = client.http.get(f"/donations/{donation_id}")
    assert own.status_code == admin.status_code == 200
    assert own.json_body["donor_name"] == "张三" and own.json_body["donor_phone"] == "139****5678"
    assert other.status_code == 404
    assert anonymous.status_code == 401


def test_public_list_shows_only_paid_donations_newest_first_masked_and_paged(client, aws):
    # Given five paid donations (one anonymous, one without a name) and one pending
    project = make_project(counter_shards=3)
    bodies = [
        gift(donor_name="张三"),
        gift(donor_name="欧阳娜娜"),
        gift(donor_name="李四", anonymous=True),
        gift(donor_name=None),
        gift(donor_name="王五", message="平安"),
    ]
    for body in bodies:
        started = donate(client, project.project_id, body).json_body
        assert pay(client, aws, started).status_code == 200
    donate(client, project.project_id, gift(donor_name="赵六"))
    # When the public pages through the list two at a time
    seen, cursor = [], None
    while True:
        url = f"/projects/{project.project_id}/donations?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.http.get(url)
        assert page.status_code == 200
        seen += page.json_body["items"]
        cursor = page.json_body["next_cursor"]
        if not cursor:
            break
    # Then it sees exactly the paid ones, newest first, masked, with no phone anywhere
    assert [item["donor"] for item in seen] == ["王*", "爱心人士", "爱心人士", "欧***", "张*"]
    assert seen[0]["message"] == "平安" and seen[0]["amount_fen"] == 5000
    text = json.dumps(seen, ensure_ascii=False)
    assert "1391234" not in text and "5678" not in text and "张三" not in text and "李四" not in text


def test_public_reads_never_show_names_or_phones(client, aws):
    project = make_project()
    started = donate(client, project.project_id, gift(donor_name="张三", donor_phone="13912345678")).json_body
    pay(client, aws, started)
    for url in (f"/projects/{project.project_id}/donations", f"/projects/{project.project_id}/totals"):
        text = client.http.get(url).body.decode()
        assert "13912345678" not in text and "139****5678" not in text and "张三" not in text, url


def test_refund_takes_the_money_out_of_the_totals_once(client, aws, auth):
    # Given a paid donation
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=8800)).json_body
    pay(client, aws, started)
    assert read_totals(project.project_id).amount_fen == 8800
    donation_id = started["donation"]["donation_id"]
    # When a platform admin refunds it, twice
    url = f"/donations/{donation_id}/refund"
    first = client.http.post(url, headers=auth("platform_admin"), body=json.dumps({"reason": "捐赠人申请退款"}))
    second = client.http.post(url, headers=auth("platform_admin"), body=json.dumps({"reason": "捐赠人申请退款"}))
    # Then it is refunded once, totals are back to zero, the sandbox recorded the refund
    assert first.status_code == second.status_code == 200
    assert first.json_body["status"] == "refunded"
    assert read_totals(project.project_id).amount_fen == 0
    assert read_totals(project.project_id).donation_count == 0
    assert read_totals(project.project_id).donor_count == 0
    from chalicelib.dal.refunds import find_refund

    refund = find_refund(donation_id)
    assert refund is not None and refund.status == "succeeded" and refund.amount_fen == 8800
    # And a refunded donation leaves the public list
    assert client.http.get(f"/projects/{project.project_id}/donations").json_body["items"] == []


def test_refund_needs_a_platform_admin_and_a_paid_donation(client, aws, auth):
    project = make_project()
    started = donate(client, project.project_id, gift()).json_body
    url = f"/donations/{started['donation']['donation_id']}/refund"
    body = json.dumps({"reason": "重复捐赠"})
    assert client.http.post(url, headers=auth("donor"), body=body).status_code == 403
    pending = client.http.post(url, headers=auth("platform_admin"), body=body)
    assert pending.status_code == 409 and pending.json_body["error"]["code"] == "donation_not_paid"


def test_refund_keeps_a_donor_counted_while_they_have_another_paid_donation(client, aws, auth):
    project = make_project()
    donor = auth("donor", sub="donor-r")
    first = donate(client, project.project_id, gift(amount_fen=100), headers=donor).json_body
    second = donate(client, project.project_id, gift(amount_fen=200), headers=donor).json_body
    pay(client, aws, first)
    pay(client, aws, second)
    assert read_totals(project.project_id).donor_count == 1
    client.http.post(
        f"/donations/{first['donation']['donation_id']}/refund",
        headers=auth("platform_admin"),
        body=json.dumps({"reason": "退款"}),
    )
    totals = read_totals(project.project_id)
    assert (totals.amount_fen, totals.donation_count, totals.donor_count) == (200, 1, 1)
    client.http.post(
        f"/donations/{second['donation']['donation_id']}/refund",
        headers=auth("platform_admin"),
        body=json.dumps({"reason": "退款"}),
    )
    totals = read_totals(project.project_id)
    assert (totals.amount_fen, totals.donation_count, totals.donor_count) == (0, 0, 0)


def test_platform_admin_raises_counter_shards_only_upward(client, aws, auth):
    project = make_project(counter_shards=4)
    url = f"/projects/{project.project_id}/shards"
    admin = auth("platform_admin")
    assert (
        client.http.post(
            url, headers=auth("org_admin", org_id=project.org_id), body=json.dumps({"counter_shards": 8})
        ).status_code
        == 403
    )
    raised = client.http.post(url, headers=admin, body=json.dumps({"counter_shards": 16}))
    assert raised.status_code == 200 and raised.json_body["counter_shards"] == 16
    lower = client.http.post(url, headers=admin, body=json.dumps({"counter_shards": 8}))
    assert lower.status_code == 409 and lower.json_body["error"]["code"] == "counter_shards_not_raised"
    # And donations after the raise land on the new shards too (the shard range grows)
    shards = set()
    for _ in range(40):
        started = donate(client, project.project_id, gift(amount_fen=1)).json_body
        shards.add(DonationModel.get(started["donation"]["donation_id"]).shard)
    assert max(shards) >= 4
    assert (
        client.http.post("/projects/nope/shards", headers=admin, body=json.dumps({"counter_shards": 9})).status_code
        == 404
    )
