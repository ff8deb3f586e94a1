"""Payment notifications: verified per provider, counted exactly once, anomalies recorded."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.anomalies import open_anomalies
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.totals import read_totals
from tests.factories import gift, make_project, sandbox_headers_body


def donate(client, project_id, body, headers=None):
    h = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4()), **(headers or {})}
    response = client.http.post(f"/projects/{project_id}/donations", headers=h, body=json.dumps(body))
    assert response.status_code == 201, response.json_body
    return response.json_body


def notify(client, provider, headers, body):
    return client.http.post(f"/payments/{provider}/notify", headers=headers, body=body)


def totals(project_id):
    t = read_totals(project_id)
    return t.amount_fen, t.donation_count, t.donor_count


# -- sandbox ---------------------------------------------------------------------------------


def test_sandbox_payment_counts_once_and_replays_answer_success(client, aws):
    # Given a pending sandbox donation
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=2500))
    headers, body = sandbox_headers_body(aws, started, transaction_id="SBX-1")
    # When the same notification arrives three times
    replies = [notify(client, "sandbox", headers, body) for _ in range(3)]
    # Then every answer is success, and it counted once
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert all(r.json_body == {"result": "success"} for r in replies)
    assert totals(project.project_id) == (2500, 1, 1)
    donation = DonationModel.get(started["donation"]["donation_id"])
    assert donation.status == "paid" and donation.provider_txn_id == "SBX-1" and donation.expires_at is None
    # filed under its platform-wide month shard (a hash of its id), not its project's counter shard
    from chalicelib.dal.donations import paid_month_shard_of

    assert donation.paid_month_shard.endswith(f"#{paid_month_shard_of(donation.donation_id)}")


def test_concurrent_duplicate_notifications_count_once(client, aws):
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=700))
    headers, body = sandbox_headers_body(aws, started, transaction_id="SBX-dup")
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(lambda _: notify(client, "sandbox", headers, body), range(6)))
    assert {r.status_code for r in replies} == {200}
    assert totals(project.project_id) == (700, 1, 1)


def test_bad_sandbox_signature_is_401_and_changes_nothing(client, aws):
    project = make_project()
    started = donate(client, project.project_id, gift())
    headers, body = sandbox_headers_body(aws, started)
    forged = dict(headers, **{"X-Sandbox-Signature": "0" * 64})
    tampered = body.replace(b'"amount_fen":5000', b'"amount_fen":5')
    stale_headers, stale_body = sandbox_headers_body(aws, started, now=utcnow() - timedelta(minutes=6))
    for h, b in (
        (forged, body),
        (headers, tampered),
        ({"Content-Type": "application/json"}, body),
        (stale_headers, stale_body),
    ):
        response = notify(client, "sandbox", h, b)
        assert response.status_code == 401, response.body
    assert DonationModel.get(started["donation"]["donation_id"]).status == "pending"
    assert totals(project.project_id) == (0, 0, 0)
    assert open_anomalies() == []


def test_amount_mismatch_is_refused_recorded_and_never_counted(client, aws, auth):
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=10000))
    headers, body = sandbox_headers_body(aws, started, transaction_id="SBX-short", amount_fen=1)
    first = notify(client, "sandbox", headers, body)
    again = notify(client, "sandbox", headers, body)
    assert first.status_code == again.status_code == 400
    assert first.json_body["result"] == "fail"
    assert totals(project.project_id) == (0, 0, 0)
    assert DonationModel.get(started["donation"]["donation_id"]).status == "pending"
    listed = client.http.get("/payments/anomalies", headers=auth("platform_admin"))
    assert listed.status_code == 200
    [anomaly] = listed.json_body["items"]
    assert anomaly["kind"] == "amount_mismatch" and anomaly["seen_count"] == 2
    assert anomaly["expected_amount_fen"] == 10000 and anomaly["notified_amount_fen"] == 1
    assert client.http.get("/payments/anomalies", headers=auth("donor")).status_code == 403


def test_unknown_donation_is_refused_and_recorded(client, aws):
    fake = {"payment": {"fields": {"out_trade_no": "01NOSUCHDONATION0000000000", "amount_fen": 100, "attach": ""}}}
    headers, body = sandbox_headers_body(aws, fake, transaction_id="SBX-ghost")
    assert notify(client, "sandbox", headers, body).status_code == 400
    assert [a.kind for a in open_anomalies()] == ["unknown_donation"]


def test_notification_after_pay_by_is_refused_and_recorded(client, aws):
    # Given a pending donation whose payment deadline has passed
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=300))
    donation = DonationModel.get(started["donation"]["donation_id"])
    donation.update(actions=[DonationModel.pay_by.set(to_iso(utcnow() - timedelta(minutes=1)))])
    # When its payment notification arrives
    headers, body = sandbox_headers_body(aws, started)
    response = notify(client, "sandbox", headers, body)
    # Then it is refused, recorded, and never counts; the donation reads as expired
    assert response.status_code == 400
    assert totals(project.project_id) == (0, 0, 0)
    assert [a.kind for a in open_anomalies()] == ["expired"]
    assert DonationModel.get(donation.donation_id).status == "pending"


def test_a_second_transaction_for_a_paid_donation_is_acknowledged_for_review_not_counted(client, aws):
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=400))
    for txn in ("SBX-a", "SBX-b"):
        headers, body = sandbox_headers_body(aws, started, transaction_id=txn)
        assert notify(client, "sandbox", headers, body).status_code == 200
    assert totals(project.project_id) == (400, 1, 1)
    assert [a.kind for a in open_anomalies()] == ["paid_twice"]


def test_a_wrong_reference_cannot_move_money_to_another_shard(client, aws):
    # Given a notification whose attached reference names the wrong shard
    from chalicelib.payments.sandbox import signed_notification

    project = make_project(counter_shards=4)
    started = donate(client, project.project_id, gift(amount_fen=900))
    donation = DonationModel.get(started["donation"]["donation_id"])
    wrong = (donation.shard + 1) % 4
    headers, body = signed_notification(
        aws.sandbox_pay_secret,
        donation_id=donation.donation_id,
        transaction_id="SBX-ref",
        amount_fen=900,
        reference=f"p={project.project_id}&s={wrong}",
        now=utcnow(),
    )
    # When it arrives, the confirm falls back to the stored donation
    assert notify(client, "sandbox", headers, body).status_code == 200
    # Then the money counts once, on the donation's own shard
    from chalicelib.dal.totals import ProjectCounterModel

    counters = ProjectCounterModel.batch_get([ProjectCounterModel.key(project.project_id, s) for s in range(10)])
    shards = {int(c.shard): int(c.amount_fen) for c in counters if int(c.amount_fen or 0)}
    assert shards == {donation.shard: 900}


def test_distinct_donors_by_account_phone_and_anonymous(client, aws, auth):
    project = make_project()
    plan = [
        (gift(donor_phone="13900000001"), None),
        (gift(donor_phone="13900000001"), None),  # one phone donor
        (gift(donor_phone=None), auth("donor", sub="acct-1")),
        (gift(donor_phone=None), auth("donor", sub="acct-1")),
        (gift(donor_phone=None, anonymous=True), None),
        (gift(donor_phone=None, anonymous=True), None),  # two
    ]
    for body, headers in plan:
        started = donate(client, project.project_id, dict(body, amount_fen=100), headers)
        h, b = sandbox_headers_body(aws, started)
        assert notify(client, "sandbox", h, b).status_code == 200
    assert totals(project.project_id) == (600, 6, 4)


def test_unknown_provider_is_404(client, aws):
    assert notify(client, "paypal", {"Content-Type": "application/json"}, b"{}").status_code == 404


# -- WeChat Pay ------------------------------------------------------------------------------


def _wechat_order(started):
    """The Native order as gongyi opened it: out_trade_no, and the attach rebuilt from the stored donation."""
    from chalicelib.dal.donations import find_donation
    from chalicelib.logic.donations import payment_reference

    payment = started["payment"]
    assert payment["provider"] == "wechat" and payment["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    stored = find_donation(payment["out_trade_no"])
    return {"out_trade_no": payment["out_trade_no"], "attach": payment_reference(stored)}


def test_wechat_payment_is_verified_decrypted_and_counted_once(client, payments_env, wechat_keys):
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=6600, channel="wechat"))
    order = _wechat_order(started)
    assert started["payment"]["amount_total_fen"] == 6600 and order["out_trade_no"]
    headers, body = wechat_keys.notification(
        donation_id=order["out_trade_no"],
        transaction_id="4200000001202611220000000001",
        amount_fen=6600,
        attach=order["attach"],
    )
    replies = [notify(client, "wechat", headers, body) for _ in range(2)]
    assert [r.status_code for r in replies] == [200, 200]
    assert replies[0].json_body["code"] == "SUCCESS"
    assert totals(project.project_id) == (6600, 1, 1)


def test_wechat_signature_failures_are_401(client, payments_env, wechat_keys):
    from tests.factories import rsa_key

    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=100, channel="wechat"))
    order = _wechat_order(started)
    common = dict(donation_id=order["out_trade_no"], amount_fen=100, attach=order["attach"])
    good_headers, good_body = wechat_keys.notification(transaction_id="42-good", **common)
    cases = {
        "other key": wechat_keys.notification(transaction_id="42-a", signing_key=rsa_key(), **common),
        "unknown serial": wechat_keys.notification(transaction_id="42-b", serial="DEADBEEF", **common),
        "stale": wechat_keys.notification(transaction_id="42-c", now=utcnow() - timedelta(minutes=6), **common),
        "tampered": (good_headers, good_body.replace(b'"summary"', b'"Summary"')),
        "no headers": ({"Content-Type": "application/json"}, good_body),
    }
    for name, (headers, body) in cases.items():
        response = notify(client, "wechat", headers, body)
        assert response.status_code == 401, name
    assert totals(project.project_id) == (0, 0, 0)


def test_wechat_amount_mismatch_is_refused_with_fail(client, payments_env, wechat_keys):
    project = make_project()
    started = donate(client, project.project_id, gift(amount_fen=100, channel="wechat"))
    order = _wechat_order(started)
    headers, body = wechat_keys.notification(
        donation_id=order["out_trade_no"], transaction_id="42-mismatch", amount_fen=99, attach=order["attach"]
    )
    response = notify(client, "wechat", headers, body)
    assert response.status_code == 400 and response.json_body["code"] == "FAIL"
    assert totals(project.project_id) == (0, 0, 0)


# -- Alipay ----------------------------------------------------------------------------------


def _alipay_started(client, project, amount_fen):
    from urllib.parse import parse_qs

    started = donate(client, project.project_id, gift(amount_fen=amount_fen, channel="alipay", pay_with="app"))
    params = {k: v[0] for k, v in parse_qs(started["payment"]["order_string"]).items()}
    return started, params, json.loads(params["biz_content"])


def test_alipay_payment_counts_once_through_success_and_finished(client, payments_env, alipay_keys):
    project = make_project()
    started, params, biz = _alipay_started(client, project, 8888)
    assert biz["total_amount"] == "88.88" and params["method"] == "alipay.trade.app.pay"
    for status in ("TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_SUCCESS"):
        headers, body = alipay_keys.notification(
            donation_id=biz["out_trade_no"],
            trade_no="2026112222001",
            total_amount="88.88",
            passback=biz["passback_params"],
            trade_status=status,
        )
        response = notify(client, "alipay", headers, body)
        assert response.status_code == 200 and response.body == b"success", status
    assert totals(project.project_id) == (8888, 1, 1)


def test_alipay_waiting_payment_is_acknowledged_without_counting(client, payments_env, alipay_keys):
    project = make_project()
    _, _, biz = _alipay_started(client, project, 100)
    headers, body = alipay_keys.notification(
        donation_id=biz["out_trade_no"], trade_no="2026112222002", total_amount="1.00", trade_status="WAIT_BUYER_PAY"
    )
    assert notify(client, "alipay", headers, body).body == b"success"
    assert totals(project.project_id) == (0, 0, 0)


def test_alipay_signature_failures_are_401_and_other_app_is_refused(client, payments_env, alipay_keys):
    from tests.factories import rsa_key

    project = make_project()
    _, _, biz = _alipay_started(client, project, 100)
    common = dict(donation_id=biz["out_trade_no"], trade_no="2026112222003", total_amount="1.00")
    headers, body = alipay_keys.notification(signing_key=rsa_key(), **common)
    assert notify(client, "alipay", headers, body).status_code == 401
    headers, body = alipay_keys.notification(**common)
    assert (
        notify(client, "alipay", headers, body.replace(b"total_amount=1.00", b"total_amount=0.01")).status_code == 401
    )
    headers, body = alipay_keys.notification(app_id="2021000000000000", **common)
    assert notify(client, "alipay", headers, body).status_code == 400
    assert totals(project.project_id) == (0, 0, 0)


def test_alipay_amount_mismatch_answers_fail(client, payments_env, alipay_keys):
    project = make_project()
    _, _, biz = _alipay_started(client, project, 100)
    headers, body = alipay_keys.notification(
        donation_id=biz["out_trade_no"], trade_no="2026112222004", total_amount="0.99", passback=biz["passback_params"]
    )
    response = notify(client, "alipay", headers, body)
    assert response.body == b"fail"
    assert totals(project.project_id) == (0, 0, 0)
    assert [a.kind for a in open_anomalies()] == ["amount_mismatch"]


def test_wechat_and_alipay_refunds_store_the_built_provider_request(
    client, payments_env, wechat_keys, alipay_keys, auth
):
    from chalicelib.dal.refunds import find_refund

    project = make_project()
    w = donate(client, project.project_id, gift(amount_fen=1234, channel="wechat"))
    order = _wechat_order(w)
    headers, body = wechat_keys.notification(
        donation_id=order["out_trade_no"], transaction_id="42-refund", amount_fen=1234, attach=order["attach"]
    )
    notify(client, "wechat", headers, body)
    _, _, biz = _alipay_started(client, project, 4321)
    headers, body = alipay_keys.notification(
        donation_id=biz["out_trade_no"], trade_no="2026112222005", total_amount="43.21", passback=biz["passback_params"]
    )
    notify(client, "alipay", headers, body)
    assert totals(project.project_id)[0] == 1234 + 4321
    for donation_id in (order["out_trade_no"], biz["out_trade_no"]):
        response = client.http.post(
            f"/donations/{donation_id}/refund",
            headers=auth("platform_admin"),
            body=json.dumps({"reason": "项目方申请退款"}),
        )
        assert response.status_code == 200 and response.json_body["status"] == "refunded"
    assert totals(project.project_id) == (0, 0, 0)
    wechat_refund = json.loads(find_refund(order["out_trade_no"]).provider_request)
    assert wechat_refund["url"].endswith("/v3/refund/domestic/refunds")
    assert json.loads(wechat_refund["body"])["amount"] == {"refund": 1234, "total": 1234, "currency": "CNY"}
    alipay_refund = find_refund(biz["out_trade_no"])
    assert alipay_refund.status == "requested" and "alipay.trade.refund" in alipay_refund.provider_request
