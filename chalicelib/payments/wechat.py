"""WeChat Pay API v3.

Notifications: ``Wechatpay-Signature`` is RSA-SHA256 over
``"{timestamp}\\n{nonce}\\n{body}\\n"`` with the platform key named by
``Wechatpay-Serial`` (a platform certificate serial, or a ``PUB_KEY_ID_...``
of the newer WeChat Pay public key); the timestamp must be within 5 minutes;
``resource`` is AEAD_AES_256_GCM with the merchant's APIv3 key.

Configuration (JSON, SSM in dev/prod)::

    {"mchid": "...", "appid": "...", "apiv3_key": "<32 bytes>",
     "merchant_serial_no": "...", "merchant_private_key": "<PEM>",
     "platform_keys": {"<serial>": "<certificate or public key PEM>"}}

Why not the ``wechatpayv3`` package: its client downloads platform
certificates over the network when it is constructed (or reads them from a
directory), which suits neither a cold start with keys from SSM nor offline
tests; the verification itself is three calls to ``cryptography``. The stateless wire
pieces (signature headers, decryption, notices, the trade bill) are ``wechat_wire``.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from chalicelib.clock import SHANGHAI, parse_iso
from chalicelib.payments import (
    BillLine,
    OrderState,
    PaymentNotice,
    PaymentOrder,
    ProviderRejected,
    ProviderReply,
    ProviderRequest,
    RefundNotice,
    RefundOrder,
    RefundState,
    SignatureInvalid,
)
from chalicelib.payments.http import HttpPolicy, ProviderResponse, ProviderUnavailable, send
from chalicelib.payments.signing import load_private_key, load_public_key, sign_sha256
from chalicelib.payments.wechat_wire import (
    decrypt_resource,
    parse_trade_bill,
    refund_notice,
    transaction_notice,
    verify_signed,
)

API_BASE = "https://api.mch.weixin.qq.com"
REFUND_PATH = "/v3/refund/domestic/refunds"
NATIVE_ORDER_PATH = "/v3/pay/transactions/native"
LOGIN_BASE = "https://api.weixin.qq.com"


class WechatPayAdapter:
    name = "wechat"

    def __init__(self, config: Mapping[str, Any], *, skew_seconds: int = 300, policy: HttpPolicy | None = None):
        self.mchid = str(config["mchid"])
        self.appid = str(config["appid"])
        self.apiv3_key = str(config["apiv3_key"]).encode()
        if len(self.apiv3_key) != 32:
            raise ValueError("the WeChat Pay APIv3 key must be 32 bytes")
        self.merchant_serial_no = str(config["merchant_serial_no"])
        self.merchant_key = load_private_key(str(config["merchant_private_key"]))
        self.platform_keys = {serial: load_public_key(pem) for serial, pem in dict(config["platform_keys"]).items()}
        self.skew = timedelta(seconds=skew_seconds)
        self.api_base = str(config.get("api_base") or API_BASE).rstrip("/")
        self.login_base = str(config.get("login_base") or LOGIN_BASE).rstrip("/")
        self.miniprogram_secret = str(config.get("miniprogram_secret") or "")
        self.policy = policy or HttpPolicy()

    # -- notifications -----------------------------------------------------------------------

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        self._verify_signed(headers, body, now)
        return self._notice(self._decrypt(body))

    def verify_refund_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> RefundNotice:
        """``REFUND.SUCCESS`` / ``REFUND.ABNORMAL`` / ``REFUND.CLOSED``: signed and encrypted as payments are."""
        self._verify_signed(headers, body, now)
        return refund_notice(self.mchid, self._decrypt(body))

    def _verify_signed(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        verify_signed(self.platform_keys, self.skew, headers, body, now)

    def _decrypt(self, body: bytes) -> dict[str, Any]:
        return decrypt_resource(self.apiv3_key, body)

    def _notice(self, txn: Mapping[str, Any]) -> PaymentNotice:
        return transaction_notice(self.mchid, self.appid, txn)

    def acknowledge(self) -> ProviderReply:
        # API v3: HTTP 200/204 means received; the body is optional.
        return ProviderReply(200, json.dumps({"code": "SUCCESS", "message": "成功"}), "application/json")

    def refuse(self, reason: str) -> ProviderReply:
        # Any 4xx/5xx with code FAIL: WeChat Pay retries on its schedule (about 24 h).
        return ProviderReply(
            400, json.dumps({"code": "FAIL", "message": reason}, ensure_ascii=False), "application/json"
        )

    # -- outgoing requests -------------------------------------------------------------------

    def signed_request(
        self, method: str, path: str, payload: Mapping[str, Any] | None, now: datetime
    ) -> ProviderRequest:
        """A request signed as API v3 wants: ``WECHATPAY2-SHA256-RSA2048`` over
        ``"{METHOD}\\n{path}\\n{timestamp}\\n{nonce}\\n{body}\\n"`` with the merchant key."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16).upper()
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()
        signature = sign_sha256(self.merchant_key, message)
        authorization = (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.merchant_serial_no}"'
        )
        headers = {"Authorization": authorization, "Accept": "application/json", "Content-Type": "application/json"}
        return ProviderRequest(method, f"{self.api_base}{path}", headers, body)

    def order_request(self, order: PaymentOrder, now: datetime) -> ProviderRequest:
        """The Native-pay order (POST /v3/pay/transactions/native) for a donation."""
        payload = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": order.subject[:127],
            "out_trade_no": order.donation_id,
            "time_expire": order.pay_by.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "attach": order.reference,
            "notify_url": order.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        return self.signed_request("POST", NATIVE_ORDER_PATH, payload, now)

    def start_payment(self, order: PaymentOrder, now: datetime) -> dict[str, Any]:
        request = self.order_request(order, now)
        return {
            "provider": self.name,
            "out_trade_no": order.donation_id,
            "amount_total_fen": order.amount_fen,
            "currency": "CNY",
            "time_expire": order.pay_by.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            # What the API function POSTs to WeChat Pay to get the code_url/prepay_id.
            "order_request": {"method": request.method, "url": request.url, "body": json.loads(request.body)},
        }

    def build_refund(self, refund: RefundOrder, now: datetime) -> ProviderRequest:
        payload = {
            "transaction_id": refund.transaction_id,
            "out_trade_no": refund.donation_id,
            "out_refund_no": refund.refund_id,
            "reason": refund.reason[:80],
            "notify_url": refund.notify_url,
            "amount": {"refund": refund.amount_fen, "total": refund.amount_fen, "currency": "CNY"},
        }
        return self.signed_request("POST", REFUND_PATH, payload, now)

    # -- calls -------------------------------------------------------------------------------

    def call(self, method: str, path: str, payload: Mapping[str, Any] | None, now: datetime, *, what: str) -> Any:
        """Send a signed API v3 request and verify the signed answer; JSON, or None for 204.
        A 4xx becomes ``ProviderRejected`` carrying WeChat's error code."""
        reply = send(self.signed_request(method, path, payload, now), self.policy, what=what)
        self._verify_response(reply, now)
        if reply.status == 204 or not reply.body:
            return None
        data = json.loads(reply.body)
        if reply.status >= 400:
            raise ProviderRejected(str(data.get("message") or what), code=str(data.get("code") or "provider_rejected"))
        return data

    def _verify_response(self, reply: ProviderResponse, now: datetime) -> None:
        """Answers are signed like notifications: an unsigned or forged one is an outage, not an answer."""
        try:
            self._verify_signed(reply.headers, reply.body, now)
        except SignatureInvalid as exc:
            raise ProviderUnavailable(
                f"the WeChat Pay answer is not signed by the platform key: {exc.message}",
                retry_after=self.policy.retry_after,
            ) from None

    def openid_for(self, login_code: str) -> str:
        """The mini-program user's openid for a ``wx.login`` code (``jscode2session``)."""
        query = urlencode(
            {
                "appid": self.appid,
                "secret": self.miniprogram_secret,
                "js_code": login_code,
                "grant_type": "authorization_code",
            }
        )
        request = ProviderRequest("GET", f"{self.login_base}/sns/jscode2session?{query}", {}, "")
        reply = send(request, self.policy, what="jscode2session")
        data = json.loads(reply.body or b"{}")
        if not data.get("openid"):
            raise ProviderRejected(
                f"the WeChat login code was refused ({data.get('errcode')})", code="invalid_login_code"
            )
        return str(data["openid"])

    def create_order(self, order: PaymentOrder, now: datetime) -> dict[str, Any]:
        """Create the order at WeChat Pay and return what the frontend needs to pay it."""
        kind = order.pay_with or "native"
        payload: dict[str, Any] = json.loads(self.order_request(order, now).body)
        if kind == "jsapi":
            payload["payer"] = {"openid": order.openid}
        if kind == "h5":
            payload["scene_info"] = {"payer_client_ip": order.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
        answer = self.call("POST", f"/v3/pay/transactions/{kind}", payload, now, what=f"create {kind} order")
        started: dict[str, Any] = {
            "provider": self.name,
            "pay_with": kind,
            "out_trade_no": order.donation_id,
            "amount_total_fen": order.amount_fen,
            "time_expire": payload["time_expire"],
        }
        if kind == "jsapi":
            started["request_payment"] = self.request_payment_params(str(answer["prepay_id"]), now)
        elif kind == "native":
            started["code_url"] = answer["code_url"]
        else:
            started["h5_url"] = answer["h5_url"]
        return started

    def request_payment_params(self, prepay_id: str, now: datetime) -> dict[str, str]:
        """``wx.requestPayment``'s parameters, signed with the merchant key (RSA over
        ``appId\ntimeStamp\nnonceStr\npackage\n``)."""
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        message = f"{self.appid}\n{timestamp}\n{nonce}\n{package}\n".encode()
        return {
            "appId": self.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": sign_sha256(self.merchant_key, message),
        }

    def query_order(self, donation_id: str, now: datetime) -> OrderState:
        path = f"/v3/pay/transactions/out-trade-no/{quote(donation_id)}?mchid={self.mchid}"
        try:
            txn = self.call("GET", path, None, now, what="query order")
        except ProviderRejected as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return OrderState(exists=False, state="ORDER_NOT_EXIST")
            raise
        state = str(txn.get("trade_state", ""))
        paid = self._notice(txn) if state in ("SUCCESS", "REFUND") and txn.get("transaction_id") else None
        if paid is not None and not paid.succeeded:
            paid = dataclasses.replace(paid, succeeded=True)  # REFUND: it was paid
        return OrderState(exists=True, state=state, paid=paid, closed=state == "CLOSED")

    def close_order(self, donation_id: str, now: datetime) -> OrderState:
        path = f"/v3/pay/transactions/out-trade-no/{quote(donation_id)}/close"
        try:
            self.call("POST", path, {"mchid": self.mchid}, now, what="close order")
        except ProviderRejected as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return OrderState(exists=False, state="ORDER_NOT_EXIST", closed=True)
            if exc.code != "ORDERPAID":
                raise
            return self.query_order(donation_id, now)
        return OrderState(exists=True, state="CLOSED", closed=True)

    def send_refund(self, refund: RefundOrder, now: datetime) -> RefundState:
        answer = self.call("POST", REFUND_PATH, json.loads(self.build_refund(refund, now).body), now, what="refund")
        return self._refund_state(answer)

    def query_refund(self, refund: RefundOrder, now: datetime) -> RefundState:
        try:
            answer = self.call("GET", f"{REFUND_PATH}/{quote(refund.refund_id)}", None, now, what="query refund")
        except ProviderRejected as exc:
            if exc.code == "RESOURCE_NOT_EXISTS":
                return RefundState("requested", detail="the provider has no such refund")
            raise
        return self._refund_state(answer)

    @staticmethod
    def _refund_state(answer: Mapping[str, Any]) -> RefundState:
        status = str(answer.get("status", ""))
        mapped = {"SUCCESS": "succeeded", "PROCESSING": "sent"}.get(status, "failed")
        at = parse_iso(str(answer["success_time"])) if answer.get("success_time") else None
        return RefundState(mapped, str(answer.get("refund_id", "")), status, succeeded_at=at)

    def fetch_bill(self, day: date, now: datetime) -> tuple[bytes, list[BillLine]]:
        """The trade bill of ``day`` (``/v3/bill/tradebill`` then its download URL, signed too)."""
        answer = self.call(
            "GET", f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=ALL", None, now, what="bill"
        )
        url = str(answer["download_url"])
        path = url.split("://", 1)[-1]
        path = path[path.index("/") :] if "/" in path else "/"
        request = self.signed_request("GET", path, None, now)
        raw = send(ProviderRequest("GET", url, request.headers, ""), self.policy, what="bill download").body
        return raw, parse_trade_bill(raw)
