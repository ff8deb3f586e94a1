"""Payment adapters without AWS: signatures, decryption, amounts, and the provider
requests they build, checked against the providers' documented request formats."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from chalicelib.clock import utcnow
from chalicelib.payments import NotificationMalformed, RefundOrder, SignatureInvalid, decode_reference, encode_reference
from chalicelib.payments.alipay import AlipayAdapter, signing_string, yuan_to_fen
from chalicelib.payments.sandbox import SandboxAdapter, signed_notification
from chalicelib.payments.wechat import WechatPayAdapter
from tests.factories import AlipayKeys, WechatKeys


@pytest.fixture(scope="module")
def wechat() -> WechatKeys:
    return WechatKeys()


@pytest.fixture(scope="module")
def alipay() -> AlipayKeys:
    return AlipayKeys()


REFUND = RefundOrder(
    donation_id="01JDONATION0000000000000000",
    refund_id="RF01JDONATION0000000000000000",
    transaction_id="4200000001202611220000000001",
    amount_fen=1234,
    reason="捐赠人申请退款",
    notify_url="https://gongyi.example.cn/payments/wechat/notify",
)

# WeChat Pay API v3 "申请退款" (POST /v3/refund/domestic/refunds), as documented.
WECHAT_REFUND_FIELDS = {"transaction_id", "out_trade_no", "out_refund_no", "reason", "notify_url", "amount"}
WECHAT_AUTH = re.compile(
    r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>\d+)",nonce_str="(?P<nonce>[0-9A-F]{32})",'
    r'signature="(?P<signature>[A-Za-z0-9+/=]+)",timestamp="(?P<timestamp>\d{10})",serial_no="(?P<serial>[0-9A-F]+)"$'
)
# Alipay "alipay.trade.refund" common request parameters, as documented.
ALIPAY_COMMON = {"app_id", "method", "format", "charset", "sign_type", "sign", "timestamp", "version", "biz_content"}


def test_yuan_strings_become_fen_exactly():
    assert yuan_to_fen("88.88") == 8888
    assert yuan_to_fen("0.01") == 1
    assert yuan_to_fen("100") == 10000
    assert yuan_to_fen("19.9") == 1990
    for bad in ("1.001", "abc", "-1.00", "NaN", ""):
        with pytest.raises(NotificationMalformed):
            yuan_to_fen(bad)


def test_reference_round_trips():
    text = encode_reference("01JPROJECT", 7, "phone:abc")
    assert decode_reference(text) == {"p": "01JPROJECT", "s": "7", "d": "phone:abc"}
    assert decode_reference("") == {}


def test_wechat_notification_verifies_and_decrypts(wechat):
    adapter = WechatPayAdapter(wechat.config)
    headers, body = wechat.notification(donation_id="D1", transaction_id="T1", amount_fen=100, attach="p=P&s=1")
    notice = adapter.verify_notification(headers, body, utcnow())
    assert (notice.donation_id, notice.transaction_id, notice.amount_fen, notice.succeeded) == ("D1", "T1", 100, True)
    assert notice.reference == {"p": "P", "s": "1"}


def test_wechat_rejects_stale_future_and_other_merchant(wechat):
    adapter = WechatPayAdapter(wechat.config)
    for skew in (timedelta(minutes=-6), timedelta(minutes=6)):
        headers, body = wechat.notification(donation_id="D", transaction_id="T", amount_fen=1, now=utcnow() + skew)
        with pytest.raises(SignatureInvalid):
            adapter.verify_notification(headers, body, utcnow())
    headers, body = wechat.notification(donation_id="D", transaction_id="T", amount_fen=1, mchid="1999999999")
    with pytest.raises(NotificationMalformed):
        adapter.verify_notification(headers, body, utcnow())


def test_wechat_refund_request_matches_the_documented_format(wechat):
    adapter = WechatPayAdapter(wechat.config)
    request = adapter.build_refund(REFUND, utcnow())
    assert (request.method, request.url) == ("POST", "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds")
    body = json.loads(request.body)
    assert set(body) == WECHAT_REFUND_FIELDS
    assert body["amount"] == {"refund": 1234, "total": 1234, "currency": "CNY"}
    auth = WECHAT_AUTH.match(request.headers["Authorization"])
    assert auth and auth["mchid"] == wechat.config["mchid"] and auth["serial"] == wechat.config["merchant_serial_no"]
    message = f"POST\n/v3/refund/domestic/refunds\n{auth['timestamp']}\n{auth['nonce']}\n{request.body}\n".encode()
    wechat.merchant_key.public_key().verify(
        base64.b64decode(auth["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
    )


def test_alipay_notification_verifies_and_refuses_tampering(alipay):
    adapter = AlipayAdapter(alipay.config)
    headers, body = alipay.notification(donation_id="D2", trade_no="T2", total_amount="12.30", passback="p=P&s=0")
    notice = adapter.verify_notification(headers, body, utcnow())
    assert (notice.donation_id, notice.transaction_id, notice.amount_fen, notice.succeeded) == ("D2", "T2", 1230, True)
    with pytest.raises(SignatureInvalid):
        adapter.verify_notification(headers, body.replace(b"12.30", b"12.31"), utcnow())


def test_alipay_refund_request_matches_the_documented_format(alipay):
    adapter = AlipayAdapter(alipay.config)
    request = adapter.build_refund(REFUND, utcnow())
    assert (request.method, request.url) == ("POST", "https://openapi.alipay.com/gateway.do")
    params = {k: v[0] for k, v in parse_qs(request.body).items()}
    assert set(params) == ALIPAY_COMMON
    assert params["method"] == "alipay.trade.refund" and params["sign_type"] == "RSA2"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", params["timestamp"])
    biz = json.loads(params["biz_content"])
    assert biz == {
        "out_trade_no": REFUND.donation_id,
        "trade_no": REFUND.transaction_id,
        "refund_amount": "12.34",
        "refund_reason": REFUND.reason,
        "out_request_no": REFUND.refund_id,
    }
    alipay.app_key.public_key().verify(
        base64.b64decode(params["sign"]), signing_string(params).encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_alipay_order_string_is_signed_by_the_app_key(alipay):
    from chalicelib.payments import PaymentOrder

    adapter = AlipayAdapter(alipay.config)
    order = PaymentOrder("D3", 5000, "捐赠：驰援", "https://x/payments/alipay/notify", "p=P&s=1", utcnow())
    params = {k: v[0] for k, v in parse_qs(adapter.start_payment(order, utcnow())["order_string"]).items()}
    assert json.loads(params["biz_content"])["total_amount"] == "50.00"
    alipay.app_key.public_key().verify(
        base64.b64decode(params["sign"]), signing_string(params).encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_sandbox_signature_and_freshness():
    adapter = SandboxAdapter("s3cret")
    headers, body = signed_notification(
        "s3cret", donation_id="D", transaction_id="T", amount_fen=5, reference="", now=utcnow()
    )
    assert adapter.verify_notification(headers, body, utcnow()).amount_fen == 5
    with pytest.raises(SignatureInvalid):
        SandboxAdapter("other").verify_notification(headers, body, utcnow())
    with pytest.raises(SignatureInvalid):
        adapter.verify_notification(headers, body, utcnow() + timedelta(minutes=6))
