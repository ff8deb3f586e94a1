"""Alipay (open platform, RSA2).

Asynchronous notifications arrive as a form: verify ``sign`` (RSA-SHA256,
base64) over the parameters except ``sign`` and ``sign_type``, sorted by name
and joined as ``k=v&k=v``, with Alipay's public key; check ``app_id``; only
``TRADE_SUCCESS``/``TRADE_FINISHED`` are payments; ``total_amount`` is a yuan
string converted to fen exactly (Decimal). The answer is the text ``success``.

Configuration (JSON, SSM in dev/prod)::

    {"app_id": "...", "app_private_key": "<PEM>", "alipay_public_key": "<PEM>",
     "gateway": "https://openapi.alipay.com/gateway.do"}

Why not ``python-alipay-sdk``: it brings a second crypto library
(pycryptodomex) next to ``cryptography``, and its API calls send the request
themselves, where gongyi must build and store a refund request first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalicelib.clock import SHANGHAI, utcnow
from chalicelib.payments import (
    NotificationMalformed,
    PaymentNotice,
    PaymentOrder,
    ProviderReply,
    ProviderRequest,
    RefundOrder,
    SignatureInvalid,
    decode_reference,
)
from chalicelib.payments.signing import load_private_key, load_public_key, sign_sha256, verify_sha256

DEFAULT_GATEWAY = "https://openapi.alipay.com/gateway.do"
PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")


def yuan_to_fen(text: str) -> int:
    """``"88.88"`` -> 8888, exactly; more than two decimals or a non-number is refused."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise NotificationMalformed(f"total_amount {text!r} is not an amount") from None
    fen = value * 100
    if not value.is_finite() or fen != fen.to_integral_value() or value < 0:
        raise NotificationMalformed(f"total_amount {text!r} is not a whole number of fen")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def signing_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type"))


class AlipayAdapter:
    name = "alipay"

    def __init__(self, config: Mapping[str, Any]):
        self.app_id = str(config["app_id"])
        self.app_key = load_private_key(str(config["app_private_key"]))
        self.alipay_key = load_public_key(str(config["alipay_public_key"]))
        self.gateway = str(config.get("gateway") or DEFAULT_GATEWAY)

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise SignatureInvalid("the notification is not a signed form") from None
        signature = params.get("sign", "")
        if not signature or params.get("sign_type", "RSA2") != "RSA2":
            raise SignatureInvalid("an RSA2 sign is required")
        if not verify_sha256(self.alipay_key, signing_string(params).encode(), signature):
            raise SignatureInvalid("the Alipay sign does not verify")
        if params.get("app_id") != self.app_id:
            raise NotificationMalformed("the notification is for another app", code="app_id_mismatch")
        try:
            donation_id, transaction_id = params["out_trade_no"], params["trade_no"]
            amount = yuan_to_fen(params["total_amount"])
        except KeyError:
            raise NotificationMalformed("out_trade_no, trade_no and total_amount are required") from None
        state = params.get("trade_status", "")
        gmt_payment = params.get("gmt_payment")
        paid_at = (
            datetime.strptime(gmt_payment, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI) if gmt_payment else utcnow()
        )
        return PaymentNotice(
            provider=self.name,
            transaction_id=transaction_id,
            donation_id=donation_id,
            amount_fen=amount,
            paid_at=paid_at,
            succeeded=state in PAID_STATES,
            state=state,
            reference=decode_reference(params.get("passback_params")),
        )

    def acknowledge(self) -> ProviderReply:
        return ProviderReply(200, "success", "text/plain")

    def refuse(self, reason: str) -> ProviderReply:
        # Anything but "success" makes Alipay retry (up to 8 times over 25 h).
        return ProviderReply(200, "fail", "text/plain")

    # -- outgoing requests -------------------------------------------------------------------

    def signed_params(self, method: str, biz_content: Mapping[str, Any], now: datetime, **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
            **extra,
        }
        params["sign"] = sign_sha256(self.app_key, signing_string(params).encode())
        return params

    def start_payment(self, order: PaymentOrder, now: datetime) -> dict[str, Any]:
        """The signed order string the Alipay app SDK takes (alipay.trade.app.pay): built
        locally, no call to Alipay needed."""
        biz = {
            "out_trade_no": order.donation_id,
            "total_amount": fen_to_yuan(order.amount_fen),
            "subject": order.subject[:256],
            "product_code": "QUICK_MSECURITY_PAY",
            "time_expire": order.pay_by.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            "passback_params": order.reference,
        }
        params = self.signed_params("alipay.trade.app.pay", biz, now, notify_url=order.notify_url)
        return {"provider": self.name, "out_trade_no": order.donation_id, "order_string": urlencode(params)}

    def build_refund(self, refund: RefundOrder, now: datetime) -> ProviderRequest:
        biz = {
            "out_trade_no": refund.donation_id,
            "trade_no": refund.transaction_id,
            "refund_amount": fen_to_yuan(refund.amount_fen),
            "refund_reason": refund.reason[:256],
            "out_request_no": refund.refund_id,
        }
        params = self.signed_params("alipay.trade.refund", biz, now)
        return ProviderRequest(
            "POST",
            self.gateway,
            {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            urlencode(params),
        )
