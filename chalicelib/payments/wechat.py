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
tests; the verification itself is three calls to ``cryptography``.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.clock import SHANGHAI, parse_iso, utcnow
from chalicelib.payments import (
    NotificationMalformed,
    PaymentNotice,
    PaymentOrder,
    ProviderReply,
    ProviderRequest,
    RefundOrder,
    SignatureInvalid,
    decode_reference,
    lower_headers,
)
from chalicelib.payments.signing import load_private_key, load_public_key, sign_sha256, verify_sha256

API_BASE = "https://api.mch.weixin.qq.com"
REFUND_PATH = "/v3/refund/domestic/refunds"
NATIVE_ORDER_PATH = "/v3/pay/transactions/native"


class WechatPayAdapter:
    name = "wechat"

    def __init__(self, config: Mapping[str, Any], *, skew_seconds: int = 300):
        self.mchid = str(config["mchid"])
        self.appid = str(config["appid"])
        self.apiv3_key = str(config["apiv3_key"]).encode()
        if len(self.apiv3_key) != 32:
            raise ValueError("the WeChat Pay APIv3 key must be 32 bytes")
        self.merchant_serial_no = str(config["merchant_serial_no"])
        self.merchant_key = load_private_key(str(config["merchant_private_key"]))
        self.platform_keys = {serial: load_public_key(pem) for serial, pem in dict(config["platform_keys"]).items()}
        self.skew = timedelta(seconds=skew_seconds)

    # -- notifications -----------------------------------------------------------------------

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        h = lower_headers(headers)
        timestamp, nonce = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", "")
        signature, serial = h.get("wechatpay-signature", ""), h.get("wechatpay-serial", "")
        if not (timestamp and nonce and signature and serial):
            raise SignatureInvalid("Wechatpay-Timestamp, -Nonce, -Signature and -Serial are required")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
        except ValueError:
            raise SignatureInvalid("Wechatpay-Timestamp is not a Unix time") from None
        if abs(now - sent_at) > self.skew:
            raise SignatureInvalid("the notification's timestamp is more than 5 minutes off", code="stale_timestamp")
        key = self.platform_keys.get(serial)
        if key is None:
            raise SignatureInvalid("Wechatpay-Serial names no platform key we trust", code="unknown_certificate")
        message = b"%s\n%s\n%s\n" % (timestamp.encode(), nonce.encode(), body)
        if not verify_sha256(key, message, signature):
            raise SignatureInvalid("the Wechatpay-Signature does not verify")
        transaction = self._decrypt(body)
        return self._notice(transaction)

    def _decrypt(self, body: bytes) -> dict[str, Any]:
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationMalformed(f"unsupported algorithm {resource.get('algorithm')!r}")
            plaintext = AESGCM(self.apiv3_key).decrypt(
                resource["nonce"].encode(),
                base64.b64decode(resource["ciphertext"]),
                (resource.get("associated_data") or "").encode() or None,
            )
            return dict(json.loads(plaintext))
        except NotificationMalformed:
            raise
        except Exception:  # noqa: BLE001 - any decoding failure is the same answer
            raise NotificationMalformed("the notification resource cannot be decrypted") from None

    def _notice(self, txn: Mapping[str, Any]) -> PaymentNotice:
        if txn.get("mchid") != self.mchid or txn.get("appid") != self.appid:
            raise NotificationMalformed("the notification is for another merchant or app", code="merchant_mismatch")
        try:
            amount = int(txn["amount"]["total"])
            donation_id, transaction_id = str(txn["out_trade_no"]), str(txn["transaction_id"])
        except (KeyError, TypeError, ValueError):
            raise NotificationMalformed("out_trade_no, transaction_id and amount.total are required") from None
        success_time = txn.get("success_time")
        paid_at = parse_iso(success_time) if success_time else utcnow()
        state = str(txn.get("trade_state", ""))
        return PaymentNotice(
            provider=self.name,
            transaction_id=transaction_id,
            donation_id=donation_id,
            amount_fen=amount,
            paid_at=paid_at,
            succeeded=state == "SUCCESS",
            state=state,
            reference=decode_reference(txn.get("attach")),
        )

    def acknowledge(self) -> ProviderReply:
        # API v3: HTTP 200/204 means received; the body is optional.
        return ProviderReply(200, json.dumps({"code": "SUCCESS", "message": "成功"}), "application/json")

    def refuse(self, reason: str) -> ProviderReply:
        # Any 4xx/5xx with code FAIL: WeChat Pay retries on its schedule (about 24 h).
        return ProviderReply(
            400, json.dumps({"code": "FAIL", "message": reason}, ensure_ascii=False), "application/json"
        )

    # -- outgoing requests -------------------------------------------------------------------

    def signed_request(self, method: str, path: str, payload: Mapping[str, Any], now: datetime) -> ProviderRequest:
        """A request signed as API v3 wants: ``WECHATPAY2-SHA256-RSA2048`` over
        ``"{METHOD}\\n{path}\\n{timestamp}\\n{nonce}\\n{body}\\n"`` with the merchant key."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16).upper()
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()
        signature = sign_sha256(self.merchant_key, message)
        authorization = (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.merchant_serial_no}"'
        )
        headers = {"Authorization": authorization, "Accept": "application/json", "Content-Type": "application/json"}
        return ProviderRequest(method, f"{API_BASE}{path}", headers, body)

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
