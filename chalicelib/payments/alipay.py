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
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalicelib.clock import SHANGHAI, utcnow
from chalicelib.payments import (
    BillLine,
    NotificationMalformed,
    OrderState,
    PaymentNotice,
    PaymentOrder,
    ProviderRejected,
    ProviderReply,
    ProviderRequest,
    RefundOrder,
    RefundState,
    SignatureInvalid,
    decode_reference,
)
from chalicelib.payments.http import HttpPolicy, ProviderUnavailable, send
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

    def __init__(self, config: Mapping[str, Any], *, policy: HttpPolicy | None = None):
        self.app_id = str(config["app_id"])
        self.app_key = load_private_key(str(config["app_private_key"]))
        self.alipay_key = load_public_key(str(config["alipay_public_key"]))
        self.gateway = str(config.get("gateway") or DEFAULT_GATEWAY)
        self.policy = policy or HttpPolicy()

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
            "time_expire": order.pay_by.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
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

    # -- calls -------------------------------------------------------------------------------

    def create_order(self, order: PaymentOrder, now: datetime) -> dict[str, Any]:
        """Alipay creates the order when the payer opens it: nothing to call here. ``page``/``wap``
        give the redirect URL (GET on the gateway), ``app`` the order string for the SDK."""
        kind = order.pay_with or "page"
        if kind == "app":
            return {**self.start_payment(order, now), "pay_with": kind}
        biz = {
            "out_trade_no": order.donation_id,
            "total_amount": fen_to_yuan(order.amount_fen),
            "subject": order.subject[:256],
            "product_code": "FAST_INSTANT_TRADE_PAY" if kind == "page" else "QUICK_WAP_WAY",
            "time_expire": order.pay_by.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "passback_params": order.reference,
        }
        method = "alipay.trade.page.pay" if kind == "page" else "alipay.trade.wap.pay"
        params = self.signed_params(method, biz, now, notify_url=order.notify_url)
        return {
            "provider": self.name,
            "pay_with": kind,
            "out_trade_no": order.donation_id,
            "redirect_url": f"{self.gateway}?{urlencode(params)}",
        }

    def call(self, method: str, biz: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """POST a signed request to the gateway; verify the signed answer; the ``*_response`` object.
        A business failure (code other than 10000) comes back as is, for the caller to read."""
        params = self.signed_params(method, biz, now)
        request = ProviderRequest(
            "POST", self.gateway, {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}, urlencode(params)
        )
        reply = send(request, self.policy, what=method)
        text = reply.body.decode("utf-8")
        name = method.replace(".", "_") + "_response"
        # The sign covers the response object's exact text, so cut it out of the body as sent.
        start, end = text.find(f'"{name}":'), text.rfind(',"sign":"')
        if start < 0 or end < 0:
            raise ProviderUnavailable(f"Alipay answered {method} without a signed response", retry_after=5)
        inner = text[start + len(name) + 3 : end]
        signature = str(json.loads(text).get("sign", ""))
        if not verify_sha256(self.alipay_key, inner.encode(), signature):
            raise ProviderUnavailable(f"the Alipay answer to {method} does not verify", retry_after=5)
        return dict(json.loads(inner))

    def query_order(self, donation_id: str, now: datetime) -> OrderState:
        answer = self.call("alipay.trade.query", {"out_trade_no": donation_id}, now)
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return OrderState(exists=False, state="TRADE_NOT_EXIST")
            raise ProviderRejected(str(answer.get("sub_msg")), code=str(answer.get("sub_code") or "provider_rejected"))
        state = str(answer.get("trade_status", ""))
        paid = None
        if state in PAID_STATES:
            pay_date = answer.get("send_pay_date")
            paid = PaymentNotice(
                provider=self.name,
                transaction_id=str(answer["trade_no"]),
                donation_id=donation_id,
                amount_fen=yuan_to_fen(str(answer["total_amount"])),
                paid_at=datetime.strptime(pay_date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI) if pay_date else now,
                succeeded=True,
                state=state,
            )
        return OrderState(exists=True, state=state, paid=paid, closed=state == "TRADE_CLOSED")

    def close_order(self, donation_id: str, now: datetime) -> OrderState:
        answer = self.call("alipay.trade.close", {"out_trade_no": donation_id}, now)
        if answer.get("code") == "10000":
            return OrderState(exists=True, state="TRADE_CLOSED", closed=True)
        if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            # Never opened by the payer: its time_expire (the pay_by) stops it from being paid later.
            return OrderState(exists=False, state="TRADE_NOT_EXIST", closed=True)
        return self.query_order(donation_id, now)

    def send_refund(self, refund: RefundOrder, now: datetime) -> RefundState:
        biz = {
            "out_trade_no": refund.donation_id,
            **({"trade_no": refund.transaction_id} if refund.transaction_id else {}),  # it prevails: strays
            "refund_amount": fen_to_yuan(refund.amount_fen),
            "refund_reason": refund.reason[:256],
            "out_request_no": refund.refund_id,
        }
        answer = self.call("alipay.trade.refund", biz, now)
        if answer.get("code") == "10000":
            return RefundState("succeeded" if answer.get("fund_change") == "Y" else "sent", refund.refund_id)
        return RefundState("failed", detail=f"{answer.get('sub_code')}: {answer.get('sub_msg')}")

    def query_refund(self, refund: RefundOrder, now: datetime) -> RefundState:
        answer = self.call(
            "alipay.trade.fastpay.refund.query",
            {"out_trade_no": refund.donation_id, "out_request_no": refund.refund_id},
            now,
        )
        if answer.get("refund_status") == "REFUND_SUCCESS":
            return RefundState("succeeded", refund.refund_id)
        return RefundState("requested", detail="Alipay has no such refund")

    def fetch_bill(self, day: date, now: datetime) -> tuple[bytes, list[BillLine]]:
        answer = self.call(
            "alipay.data.dataservice.bill.downloadurl.query", {"bill_type": "trade", "bill_date": day.isoformat()}, now
        )
        if answer.get("code") != "10000":
            raise ProviderRejected(str(answer.get("sub_msg")), code=str(answer.get("sub_code") or "bill_unavailable"))
        url = str(answer["bill_download_url"])
        raw = send(ProviderRequest("GET", url, {}, ""), self.policy, what="bill download").body
        return raw, parse_trade_bill(raw)


def parse_trade_bill(raw: bytes) -> list[BillLine]:
    """Alipay's trade bill: a zip with a GBK CSV of 业务明细 between ``#`` comment lines."""
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("业务明细.csv") or "业务明细" in n)
        text = archive.read(name).decode("gbk")
    rows = [r for r in text.splitlines() if r and not r.startswith("#")]
    lines = []
    for cells in csv.DictReader(io.StringIO("\n".join(rows))):
        refund = cells["业务类型"] == "退款"
        lines.append(
            BillLine(
                provider="alipay",
                kind="refund" if refund else "payment",
                transaction_id=cells["支付宝交易号"],
                donation_id=cells["商户订单号"],
                amount_fen=yuan_to_fen(cells["订单金额（元）"].lstrip("-")),
                at=cells["完成时间"],
                refund_id=cells.get("退款批次号/请求号", "") if refund else "",
            )
        )
    return lines
