"""WeChat Pay API v3 on the wire, without state: signature headers, the encrypted
``resource`` of notifications, transactions and refunds in gongyi's words, and the
trade bill's format (split from ``wechat``, whose adapter uses them)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.clock import parse_iso, utcnow
from chalicelib.payments import (
    BillLine,
    NotificationMalformed,
    PaymentNotice,
    RefundNotice,
    SignatureInvalid,
    decode_reference,
    lower_headers,
)
from chalicelib.payments.signing import verify_sha256


def verify_signed(
    platform_keys: Mapping[str, Any], skew: timedelta, headers: Mapping[str, str], body: bytes, now: datetime
) -> None:
    """Check a notification's or an answer's ``Wechatpay-*`` signature headers (``SignatureInvalid`` if not)."""
    h = lower_headers(headers)
    timestamp, nonce = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", "")
    signature, serial = h.get("wechatpay-signature", ""), h.get("wechatpay-serial", "")
    if not (timestamp and nonce and signature and serial):
        raise SignatureInvalid("Wechatpay-Timestamp, -Nonce, -Signature and -Serial are required")
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except ValueError:
        raise SignatureInvalid("Wechatpay-Timestamp is not a Unix time") from None
    if abs(now - sent_at) > skew:
        raise SignatureInvalid("the notification's timestamp is more than 5 minutes off", code="stale_timestamp")
    key = platform_keys.get(serial)
    if key is None:
        raise SignatureInvalid("Wechatpay-Serial names no platform key we trust", code="unknown_certificate")
    message = b"%s\n%s\n%s\n" % (timestamp.encode(), nonce.encode(), body)
    if not verify_sha256(key, message, signature):
        raise SignatureInvalid("the Wechatpay-Signature does not verify")


def decrypt_resource(apiv3_key: bytes, body: bytes) -> dict[str, Any]:
    """The ``resource`` of a notification, decrypted (AEAD_AES_256_GCM with the APIv3 key)."""
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NotificationMalformed(f"unsupported algorithm {resource.get('algorithm')!r}")
        plaintext = AESGCM(apiv3_key).decrypt(
            resource["nonce"].encode(),
            base64.b64decode(resource["ciphertext"]),
            (resource.get("associated_data") or "").encode() or None,
        )
        return dict(json.loads(plaintext))
    except NotificationMalformed:
        raise
    except Exception:  # noqa: BLE001 - any decoding failure is the same answer
        raise NotificationMalformed("the notification resource cannot be decrypted") from None


def transaction_notice(mchid: str, appid: str, txn: Mapping[str, Any]) -> PaymentNotice:
    """A decrypted transaction (notification or query answer), in gongyi's words."""
    if txn.get("mchid") != mchid or txn.get("appid") != appid:
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
        provider="wechat",
        transaction_id=transaction_id,
        donation_id=donation_id,
        amount_fen=amount,
        paid_at=paid_at,
        succeeded=state == "SUCCESS",
        state=state,
        reference=decode_reference(txn.get("attach")),
    )


def refund_notice(mchid: str, refund: Mapping[str, Any]) -> RefundNotice:
    """A decrypted ``REFUND.*`` resource, in gongyi's words."""
    if refund.get("mchid") != mchid:
        raise NotificationMalformed("the notification is for another merchant", code="merchant_mismatch")
    try:
        return RefundNotice(
            provider="wechat",
            donation_id=str(refund["out_trade_no"]),
            refund_id=str(refund["out_refund_no"]),
            status="succeeded" if refund.get("refund_status") == "SUCCESS" else "failed",
            amount_fen=int(refund["amount"]["refund"]),
            succeeded_at=parse_iso(refund["success_time"]) if refund.get("success_time") else None,
        )
    except (KeyError, TypeError, ValueError):
        raise NotificationMalformed("out_trade_no, out_refund_no and amount.refund are required") from None


def parse_trade_bill(raw: bytes) -> list[BillLine]:
    """WeChat's trade bill: a header row, data rows whose every cell starts with a backtick,
    then a summary header and row. Amounts are yuan strings."""
    from chalicelib.payments.alipay import yuan_to_fen  # noqa: PLC0415

    rows = raw.decode("utf-8-sig").splitlines()
    if not rows:
        return []
    columns = rows[0].split(",")
    lines = []
    for row in rows[1:]:
        if not row.startswith("`"):
            break  # the summary
        cells = dict(zip(columns, (c.lstrip("`") for c in row.split(",")), strict=False))
        refund = cells.get("交易状态") == "REFUND"
        lines.append(
            BillLine(
                provider="wechat",
                kind="refund" if refund else "payment",
                transaction_id=cells["微信订单号"],
                donation_id=cells["商户订单号"],
                amount_fen=yuan_to_fen(cells["退款金额"] if refund else cells["应结订单金额"]),
                at=cells["交易时间"],
                refund_id=cells.get("商户退款单号", "") if refund else "",
            )
        )
    return lines
