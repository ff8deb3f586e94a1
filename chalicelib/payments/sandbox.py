"""The sandbox provider: how a person (``make pay``) or a test pays locally.

A notification is JSON signed with HMAC-SHA256 over ``"{timestamp}\\n{body}"``
(headers ``X-Sandbox-Timestamp`` and ``X-Sandbox-Signature``, hex), with the
stage's sandbox secret. It never exists in production.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.clock import parse_iso, to_iso
from chalicelib.payments import (
    BillLine,
    NotificationMalformed,
    OrderState,
    PaymentNotice,
    PaymentOrder,
    ProviderReply,
    ProviderRequest,
    RefundOrder,
    RefundState,
    SignatureInvalid,
    decode_reference,
    lower_headers,
)


def sandbox_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signed_notification(
    secret: str,
    *,
    donation_id: str,
    transaction_id: str,
    amount_fen: int,
    reference: str,
    now: datetime,
    trade_status: str = "SUCCESS",
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a sandbox notification (for ``make pay`` and tests)."""
    body = json.dumps(
        {
            "out_trade_no": donation_id,
            "transaction_id": transaction_id,
            "amount_fen": amount_fen,
            "trade_status": trade_status,
            "paid_at": to_iso(now),
            "attach": reference,
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Sandbox-Timestamp": timestamp,
        "X-Sandbox-Signature": sandbox_signature(secret, timestamp, body),
    }
    return headers, body


class SandboxAdapter:
    name = "sandbox"

    def __init__(self, secret: str, *, skew_seconds: int = 300):
        self.secret = secret
        self.skew = timedelta(seconds=skew_seconds)

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        h = lower_headers(headers)
        timestamp, signature = h.get("x-sandbox-timestamp", ""), h.get("x-sandbox-signature", "")
        if not timestamp or not signature:
            raise SignatureInvalid("X-Sandbox-Timestamp and X-Sandbox-Signature are required")
        if not hmac.compare_digest(sandbox_signature(self.secret, timestamp, body), signature):
            raise SignatureInvalid("the sandbox signature does not verify")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
        except ValueError:
            raise SignatureInvalid("X-Sandbox-Timestamp is not a Unix time") from None
        if abs(now - sent_at) > self.skew:
            raise SignatureInvalid("the notification's timestamp is more than 5 minutes off", code="stale_timestamp")
        try:
            data = json.loads(body)
            amount = data["amount_fen"]
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise TypeError
            state = str(data.get("trade_status", ""))
            return PaymentNotice(
                provider=self.name,
                transaction_id=str(data["transaction_id"]),
                donation_id=str(data["out_trade_no"]),
                amount_fen=amount,
                paid_at=parse_iso(data["paid_at"]) if data.get("paid_at") else now,
                succeeded=state == "SUCCESS",
                state=state,
                reference=decode_reference(data.get("attach")),
            )
        except (ValueError, KeyError, TypeError):
            raise NotificationMalformed(
                "the sandbox notification lacks out_trade_no, transaction_id or amount_fen"
            ) from None

    def acknowledge(self) -> ProviderReply:
        return ProviderReply(200, json.dumps({"result": "success"}), "application/json")

    def refuse(self, reason: str) -> ProviderReply:
        return ProviderReply(400, json.dumps({"result": "fail", "reason": reason}), "application/json")

    def start_payment(self, order: PaymentOrder, now: datetime) -> dict[str, Any]:
        return {
            "provider": self.name,
            "notify_url": order.notify_url,
            "fields": {"out_trade_no": order.donation_id, "amount_fen": order.amount_fen, "attach": order.reference},
            "how_to_pay": f"make pay DONATION={order.donation_id}",
        }

    def build_refund(self, refund: RefundOrder, now: datetime) -> ProviderRequest:
        body = json.dumps(
            {
                "out_trade_no": refund.donation_id,
                "transaction_id": refund.transaction_id,
                "out_refund_no": refund.refund_id,
                "amount_fen": refund.amount_fen,
                "reason": refund.reason,
            },
            ensure_ascii=False,
        )
        return ProviderRequest("POST", "sandbox://refunds", {"Content-Type": "application/json"}, body)

    # The sandbox has no server: orders exist only in gongyi, refunds succeed at once, no bills.

    def create_order(self, order: PaymentOrder, now: datetime) -> dict[str, Any]:
        return self.start_payment(order, now)

    def query_order(self, donation_id: str, now: datetime) -> OrderState:
        return OrderState(exists=False, state="UNKNOWN")

    def close_order(self, donation_id: str, now: datetime) -> OrderState:
        return OrderState(exists=False, state="CLOSED", closed=True)

    def send_refund(self, refund: RefundOrder, now: datetime) -> RefundState:
        return RefundState("succeeded", refund.refund_id)

    def query_refund(self, refund: RefundOrder, now: datetime) -> RefundState:
        return RefundState("succeeded", refund.refund_id)

    def fetch_bill(self, day: date, now: datetime) -> tuple[bytes, list[BillLine]]:
        return b"", []
