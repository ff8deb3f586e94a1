"""Self-service: look-up (rate-limited, masked), claims of imported donations."""

from __future__ import annotations

import json

import pytest

from chalicelib.clock import SHANGHAI, parse_iso
from chalicelib.dal.receipts import find_receipt as get_receipt
from chalicelib.functions.receipts import RENDERER
from tests.factories import make_donation, make_org, make_project, stream_event, stream_record
from tests.integration.test_receipts import issue

PHONE = "13812345678"


@pytest.fixture
def project(aws):
    return make_project(make_org())


def post(client, path, body, headers=None):
    return client.http.post(
        path, headers={"Content-Type": "application/json", **(headers or {})}, body=json.dumps(body)
    )


def test_lookup_by_phone_and_name_returns_masked_donations_with_links(client, aws, project):
    # Given two issued donations by 张三 and one by someone else on the same phone
    mine = [issue(client, make_donation(aws, project, amount_fen=amount)) for amount in (5_000, 10_000)]
    make_donation(aws, project, donor_name="李四")

    # When 张三 looks up by phone and name
    response = post(client, "/receipts/lookup", {"mobile": "138-1234-5678", "donor_name": "张三"})

    # Then only his donations come back, masked, each with its three links
    assert response.status_code == 200, response.body
    donations = response.json_body["donations"]
    assert {d["donation_id"] for d in donations} == {r.donation_id for r in mine}
    for d in donations:
        assert d["donor_name"] == "张*" and d["donor_phone"] == "138****5678"
        assert d["receipts"]["status"] == "issued" and len(d["receipts"]["documents"]) == 3
        # And the check code and verification link a frontend can show (issue 18)
        stored = get_receipt(d["donation_id"])
        assert d["receipts"]["check_code"] == stored.check_code
        verify = d["receipts"]["verify_url"]
        assert verify.endswith(f"/receipts/verify/{stored.number}?code={stored.check_code}")
        checked = client.http.get(verify[verify.index("/receipts/verify/") :])
        assert checked.status_code == 200 and checked.json_body["status"] == "valid"
    assert PHONE not in response.body.decode() and "张三" not in response.body.decode()


def test_lookup_by_donation_id_needs_the_right_phone_and_no_match_looks_the_same(client, aws, project):
    donation = issue(client, make_donation(aws, project))
    found = post(client, "/receipts/lookup", {"mobile": PHONE, "donation_id": donation.donation_id}).json_body
    assert [d["donation_id"] for d in found["donations"]] == [donation.donation_id]
    wrong_phone = post(client, "/receipts/lookup", {"mobile": "13900000000", "donation_id": donation.donation_id})
    unknown_phone = post(client, "/receipts/lookup", {"mobile": "13700000000", "donor_name": "张三"})
    wrong_name = post(client, "/receipts/lookup", {"mobile": PHONE, "donor_name": "王五"})
    for response in (wrong_phone, unknown_phone, wrong_name):
        assert response.status_code == 200 and response.json_body == {"donations": []}


def test_lookup_needs_name_or_donation_id_and_a_mobile(client, aws):
    assert post(client, "/receipts/lookup", {"mobile": PHONE}).status_code == 422
    assert post(client, "/receipts/lookup", {"mobile": "12345678901", "donor_name": "张三"}).status_code == 422


def test_lookup_is_rate_limited_per_phone(client, aws, project):
    # Given the per-phone limit (5 per window in the local stage)
    limit = aws.receipts_lookups_per_phone
    for _ in range(limit):
        assert post(client, "/receipts/lookup", {"mobile": PHONE, "donor_name": "张三"}).status_code == 200
    # When one more arrives (whatever the name)
    response = post(client, "/receipts/lookup", {"mobile": PHONE, "donor_name": "别人"})
    # Then 429 with Retry-After; another phone is still served
    assert response.status_code == 429
    assert response.json_body["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= aws.receipts_lookup_window_seconds
    assert post(client, "/receipts/lookup", {"mobile": "13900000000", "donor_name": "张三"}).status_code == 200


def test_lookup_is_rate_limited_per_client(aws, project):
    # Given one client address trying many phone numbers
    from chalicelib.errors import RateLimited
    from chalicelib.logic.receipts.selfservice import lookup

    limit = aws.receipts_lookups_per_client
    for n in range(limit):
        lookup(aws, mobile=f"1390000{n:04d}", donor_name="张三", donation_id=None, client="198.51.100.9")
    # When it tries one more, with a fresh phone
    with pytest.raises(RateLimited) as caught:
        lookup(aws, mobile="13911112222", donor_name="张三", donation_id=None, client="198.51.100.9")
    # Then it is refused; another client is served
    assert caught.value.retry_after >= 1
    assert lookup(aws, mobile="13911112222", donor_name="张三", donation_id=None, client="198.51.100.10") == []


def _claim(client, project, **overrides):
    body = {"name": "赵六", "mobile": PHONE, "amount_fen": 20_000, "date": None, "project_id": project.project_id}
    body.update(overrides)
    return post(client, "/receipts/claims", body)


def _imported(aws, project, **kw):
    kw.setdefault("donor_name", "赵六")
    kw.setdefault("amount_fen", 20_000)
    return make_donation(aws, project, channel="import", donor_sub=None, **kw)


def _day(donation):
    return parse_iso(donation.paid_at).astimezone(SHANGHAI).date().isoformat()


def test_claim_with_no_match(client, aws, project):
    donation = _imported(aws, project)
    response = _claim(client, project, date=_day(donation), amount_fen=19_999)
    assert response.status_code == 404 and response.json_body["error"]["code"] == "no_match"
    provider_paid = make_donation(aws, project, donor_name="赵六", amount_fen=30_000)  # not imported
    response = _claim(client, project, date=_day(provider_paid), amount_fen=30_000)
    assert response.json_body["error"]["code"] == "no_match"


def test_claim_with_one_match_issues_the_three_documents_to_the_claimant(client, aws, project, auth):
    # Given one imported donation
    donation = _imported(aws, project)

    # When its donor claims it (signed in)
    body = {
        "name": "赵六",
        "mobile": PHONE,
        "amount_fen": 20_000,
        "date": _day(donation),
        "project_id": project.project_id,
    }
    response = post(client, "/receipts/claims", body, headers=auth("donor", sub="donor-zhao"))

    # Then its number is assigned at once and the renderer issues the documents
    assert response.status_code == 202, response.body
    assert response.json_body["donation_id"] == donation.donation_id
    receipt = get_receipt(donation.donation_id)
    assert receipt.number == response.json_body["number"] and receipt.claimed
    client.lambda_.invoke(RENDERER, stream_event(stream_record(receipt)))
    fetched = client.http.get(f"/donations/{donation.donation_id}/receipts", headers=auth("donor", sub="donor-zhao"))
    assert fetched.status_code == 200 and len(fetched.json_body["documents"]) == 3
    assert fetched.json_body["check_code"] == get_receipt(donation.donation_id).check_code
    assert fetched.json_body["verify_url"].endswith(f"?code={fetched.json_body['check_code']}")

    # And the same claimant retrying gets the same answer; anyone else is told already_claimed
    retried = post(client, "/receipts/claims", body, headers=auth("donor", sub="donor-zhao"))
    assert retried.status_code == 202 and retried.json_body == response.json_body
    again = _claim(client, project, date=_day(donation))
    assert again.status_code == 409 and again.json_body["error"]["code"] == "already_claimed"


def test_claim_with_two_matches_is_ambiguous(client, aws, project):
    first = _imported(aws, project)
    _imported(aws, project, paid_at=parse_iso(first.paid_at))
    response = _claim(client, project, date=_day(first))
    assert response.status_code == 409 and response.json_body["error"]["code"] == "ambiguous_match"
    assert get_receipt(first.donation_id) is None


def test_imported_donation_shows_as_claimable_in_lookup(client, aws, project):
    donation = _imported(aws, project)
    found = post(client, "/receipts/lookup", {"mobile": PHONE, "donor_name": "赵六"}).json_body["donations"]
    assert [(d["donation_id"], d["receipts"]["status"]) for d in found] == [(donation.donation_id, "claimable")]
