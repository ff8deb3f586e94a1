"""Giving opens the order at the provider (the simulator, in this process): what each frontend
gets, whose openid pays a JSAPI order, and what an outage leaves behind."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.payments.signing import load_public_key, verify_sha256
from tests.factories import gift, make_project
from tests.factories.payments import public_pem


def give(client, project_id, body, *, key=None):
    headers = {"Content-Type": "application/json", "Idempotency-Key": key or str(uuid.uuid4())}
    return client.http.post(f"/projects/{project_id}/donations", headers=headers, body=json.dumps(body))


def test_jsapi_order_pays_as_the_openid_jscode2session_returned_not_the_clients(
    client, payments_env, provider_sim, wechat_keys
):
    # Given a donor in the mini-program with a wx.login code, who also sends an openid of their choosing
    project = make_project()
    code = f"login-{uuid.uuid4().hex}"
    body = gift(amount_fen=2500, channel="wechat", pay_with="jsapi", login_code=code, openid="oATTACKER")
    # When they give
    response = give(client, project.project_id, body)
    # Then the order at WeChat Pay belongs to the openid jscode2session gives for that code
    assert response.status_code == 201, response.json_body
    state = provider_sim.simulator.state
    order = state.orders[("wechat", response.json_body["donation"]["donation_id"])]
    assert order.trade_type == "JSAPI"
    assert order.openid == state.openids[code] != "oATTACKER"
    # And the wx.requestPayment parameters are signed with the merchant key over appId/timeStamp/nonceStr/package
    params = response.json_body["payment"]["request_payment"]
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    merchant = load_public_key(public_pem(wechat_keys.merchant_key))
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    assert verify_sha256(merchant, message, params["paySign"])


def test_jsapi_without_a_login_code_or_with_the_wrong_provider_is_422(client, payments_env, provider_sim):
    project = make_project()
    missing = give(client, project.project_id, gift(channel="wechat", pay_with="jsapi"))
    assert missing.status_code == 422
    assert missing.json_body["error"]["details"][0]["field"] == "login_code"
    wrong_kind = give(client, project.project_id, gift(channel="alipay", pay_with="jsapi"))
    assert wrong_kind.status_code == 422
    assert wrong_kind.json_body["error"]["details"][0]["code"] == "pay_with_not_of_channel"


def test_each_frontend_gets_what_it_needs(client, payments_env, provider_sim):
    project = make_project()
    native = give(client, project.project_id, gift(channel="wechat", pay_with="native")).json_body["payment"]
    h5 = give(client, project.project_id, gift(channel="wechat", pay_with="h5")).json_body["payment"]
    page = give(client, project.project_id, gift(channel="alipay", pay_with="page")).json_body["payment"]
    app = give(client, project.project_id, gift(channel="alipay", pay_with="app")).json_body["payment"]
    assert native["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert h5["h5_url"].startswith("http")
    assert "method=alipay.trade.page.pay" in page["redirect_url"] and "sign=" in page["redirect_url"]
    assert "method=alipay.trade.app.pay" in app["order_string"]


def test_a_provider_outage_is_a_503_with_retry_after_and_leaves_nothing(client, payments_env, provider_sim):
    from chalicelib.dal.donations import DonationModel

    # Given WeChat Pay answers every order request with a 500
    project = make_project()
    provider_sim.simulator.state.faults.update({"fail": {"/v3/pay/transactions/native": [500, 100]}})
    key = str(uuid.uuid4())
    # When a donor gives
    response = give(client, project.project_id, gift(amount_fen=800, channel="wechat"), key=key)
    # Then a clear 503 the client can retry, and no donation was stored
    assert response.status_code == 503
    assert response.json_body["error"]["code"] == "provider_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert [d for d in DonationModel.scan() if d.project_id == project.project_id] == []  # test-only scan
    # And the same request, retried once the provider is back, opens the order once
    provider_sim.simulator.state.faults.update({"fail": {}})
    retried = [give(client, project.project_id, gift(amount_fen=800, channel="wechat"), key=key) for _ in range(2)]
    assert [r.status_code for r in retried] == [201, 201]
    assert retried[0].json_body == retried[1].json_body


def test_a_provider_that_hangs_is_given_up_on_after_bounded_attempts(payments_env, provider_sim):
    from chalicelib.clock import utcnow
    from chalicelib.errors import ServiceUnavailable
    from chalicelib.payments import adapter_for

    # Given Alipay's gateway never answers (read timeout 1 s here, 3 attempts)
    provider_sim.simulator.state.faults.update({"fail": {"/gateway.do": [0, 5]}, "timeout_seconds": 2})
    # When gongyi queries an order
    with pytest.raises(ServiceUnavailable) as raised:
        adapter_for("alipay", payments_env).query_order("no-such-order", utcnow())
    # Then it gives up with provider_unavailable after exactly three attempts
    assert raised.value.code == "provider_unavailable"
    assert provider_sim.simulator.state.faults.fail["/gateway.do"][1] == 5 - 3


def test_an_abnormal_refund_notification_fails_the_refund_once_for_admins_to_see(
    client, payments_env, provider_sim, wechat_keys, auth
):
    from chalicelib.dal.anomalies import open_anomalies
    from chalicelib.dal.refunds import find_refund
    from chalicelib.logic.payments.refunds import RefundStillPending, send_refund

    # Given a paid WeChat donation, refunded by an admin and sent to WeChat Pay (PROCESSING)
    project = make_project()
    started = give(client, project.project_id, gift(amount_fen=1500, channel="wechat")).json_body
    donation_id = started["donation"]["donation_id"]
    sim = provider_sim.simulator
    sim.pay({"out_trade_no": donation_id, "provider": "wechat"})
    order = sim.state.orders[("wechat", donation_id)]
    headers, body = sim.wechat.notification(sim.wechat.transaction_view(order), "TRANSACTION.SUCCESS", "transaction")
    assert client.http.post("/payments/wechat/notify", headers=headers, body=body).status_code == 200
    refunded = client.http.post(
        f"/donations/{donation_id}/refund", headers=auth("platform_admin"), body=json.dumps({"reason": "重复捐赠"})
    )
    assert refunded.status_code == 200
    with pytest.raises(RefundStillPending):  # the queue message would come back to follow it up
        send_refund(payments_env, donation_id)
    assert find_refund(donation_id).status == "sent"
    # When WeChat Pay says REFUND.ABNORMAL, twice (a retried notification)
    resource = {
        "mchid": wechat_keys.config["mchid"],
        "out_trade_no": donation_id,
        "transaction_id": order.transaction_id,
        "out_refund_no": find_refund(donation_id).refund_id,
        "refund_id": "50000000000001",
        "refund_status": "ABNORMAL",
        "amount": {"total": 1500, "refund": 1500, "payer_total": 1500, "payer_refund": 1500},
    }
    for _ in range(2):
        headers, body = sim.wechat.notification(resource, "REFUND.ABNORMAL", "refund")
        assert client.http.post("/payments/wechat/refund-notify", headers=headers, body=body).status_code == 200
    # Then the refund failed, once, and admins see it
    assert find_refund(donation_id).status == "failed"
    failed = [a for a in open_anomalies() if a.kind == "refund_failed" and a.donation_id == donation_id]
    assert len(failed) == 1 and int(failed[0].seen_count) == 1
