"""Payment providers: one adapter per provider, all speaking the same small protocol.

An adapter verifies a provider's notification (signature, freshness,
decryption) and turns it into a ``PaymentNotice``; answers in the provider's
own format; describes how a frontend starts a payment; and builds the refund
request the provider expects. Adapters never touch DynamoDB, and only verify
what the provider signed: whether the money counts is the logic's decision.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from chalicelib.config import Settings
from chalicelib.errors import BadRequest, Conflict, NotFound, Unauthenticated
from chalicelib.secrets import get_secret

PROVIDERS = ("wechat", "alipay", "sandbox")


class SignatureInvalid(Unauthenticated):
    """The notification is not provably from the provider (signature, serial, timestamp)."""

    code = "invalid_signature"


class NotificationMalformed(BadRequest):
    code = "malformed_notification"


class ChannelUnavailable(Conflict):
    code = "payment_channel_unavailable"


@dataclass(frozen=True)
class PaymentNotice:
    """A verified notification, in gongyi's words."""

    provider: str
    transaction_id: str  # the provider's id: the exactly-once key
    donation_id: str  # our out_trade_no
    amount_fen: int
    paid_at: datetime
    succeeded: bool  # False: a verified notification that reports no payment (closed, waiting)
    state: str
    reference: dict[str, str] = field(default_factory=dict)  # what we attached at order time


@dataclass(frozen=True)
class ProviderReply:
    status: int
    body: str
    content_type: str


class ProviderRejected(Conflict):
    """The provider answered, and said no (a business error, not an outage)."""

    code = "provider_rejected"


# How a frontend pays, per provider: WeChat mini-program/JSAPI, Native QR, H5; Alipay
# page (PC redirect), wap (mobile browser redirect), app (order string for the SDK).
PAY_WITH: dict[str, tuple[str, ...]] = {
    "wechat": ("jsapi", "native", "h5"),
    "alipay": ("page", "wap", "app"),
    "sandbox": ("sandbox",),
}
DEFAULT_PAY_WITH = {"wechat": "native", "alipay": "page", "sandbox": "sandbox"}


@dataclass(frozen=True)
class PaymentOrder:
    donation_id: str
    amount_fen: int
    subject: str
    notify_url: str
    reference: str  # encoded ``payment_reference``
    pay_by: datetime
    pay_with: str = ""
    openid: str = ""  # JSAPI: the payer, from jscode2session (never from the client)
    client_ip: str = ""  # H5: WeChat wants the payer's IP


@dataclass(frozen=True)
class OrderState:
    """What the provider says of an order now."""

    exists: bool
    state: str  # the provider's own word (NOTPAY, TRADE_SUCCESS, CLOSED...)
    paid: PaymentNotice | None = None  # set when the order is paid
    closed: bool = False


@dataclass(frozen=True)
class RefundState:
    status: str  # sent | succeeded | failed
    provider_refund_id: str = ""
    detail: str = ""
    succeeded_at: datetime | None = None  # the provider's time, when it says (the bill files the refund by it)


@dataclass(frozen=True)
class RefundNotice:
    """A verified refund notification."""

    provider: str
    donation_id: str
    refund_id: str  # our out_refund_no
    status: str  # succeeded | failed
    amount_fen: int
    succeeded_at: datetime | None = None


@dataclass(frozen=True)
class BillLine:
    """One line of a provider's bill, in gongyi's words."""

    provider: str
    kind: str  # payment | refund
    transaction_id: str
    donation_id: str
    amount_fen: int
    at: str
    refund_id: str = ""


@dataclass(frozen=True)
class RefundOrder:
    donation_id: str
    refund_id: str
    transaction_id: str
    amount_fen: int
    reason: str
    notify_url: str


@dataclass(frozen=True)
class ProviderRequest:
    """An HTTP request for the provider, fully built and signed (sending is separate)."""

    method: str
    url: str
    headers: dict[str, str]
    body: str

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "headers": self.headers, "body": self.body}


class PaymentAdapter(Protocol):
    name: str

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice: ...

    def acknowledge(self) -> ProviderReply: ...

    def refuse(self, reason: str) -> ProviderReply: ...

    def start_payment(self, order: PaymentOrder, now: datetime) -> dict[str, Any]: ...

    def build_refund(self, refund: RefundOrder, now: datetime) -> ProviderRequest: ...

    def create_order(self, order: PaymentOrder, now: datetime) -> dict[str, Any]: ...

    def query_order(self, donation_id: str, now: datetime) -> OrderState: ...

    def close_order(self, donation_id: str, now: datetime) -> OrderState: ...

    def send_refund(self, refund: RefundOrder, now: datetime) -> RefundState: ...

    def query_refund(self, refund: RefundOrder, now: datetime) -> RefundState: ...

    def fetch_bill(self, day: date, now: datetime) -> tuple[bytes, list[BillLine]]: ...


def encode_reference(project_id: str, shard: int, donor_key: str | None) -> str:
    """What we attach to an order and get back, signed, in its notification
    (WeChat ``attach``, Alipay ``passback_params``): it lets the confirm go
    straight to its transaction. The transaction's conditions check it against
    the stored donation, so a wrong reference can never count anything."""
    fields = {"p": project_id, "s": str(shard)}
    if donor_key:
        fields["d"] = donor_key
    return urlencode(fields)


def decode_reference(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    return dict(parse_qsl(text, keep_blank_values=True))


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def provider_config(settings: Settings, secret_name: str, local_value: str) -> dict[str, Any]:
    """A provider's JSON configuration: SSM in dev/prod, the literal setting locally."""
    raw = get_secret(settings, secret_name, local_value=local_value) if (secret_name or local_value) else ""
    if not raw:
        return {}
    return dict(json.loads(raw))


@functools.cache
def adapter_for(provider: str, settings: Settings) -> PaymentAdapter:
    """The configured adapter of ``provider`` (cached per settings: keys load once)."""
    if provider not in PROVIDERS:
        raise NotFound(f"no payment provider {provider!r}", code="unknown_provider")
    if provider == "wechat":
        from chalicelib.payments.wechat import WechatPayAdapter  # noqa: PLC0415

        config = provider_config(settings, settings.wechat_secret_name, settings.wechat_pay_config)
        if not config:
            raise ChannelUnavailable("WeChat Pay is not configured on this stage")
        return WechatPayAdapter(config, skew_seconds=settings.notify_clock_skew_seconds, policy=http_policy(settings))
    if provider == "alipay":
        from chalicelib.payments.alipay import AlipayAdapter  # noqa: PLC0415

        config = provider_config(settings, settings.alipay_secret_name, settings.alipay_config)
        if not config:
            raise ChannelUnavailable("Alipay is not configured on this stage")
        return AlipayAdapter(config, policy=http_policy(settings))
    from chalicelib.payments.sandbox import SandboxAdapter  # noqa: PLC0415

    if settings.stage == "prod":
        raise ChannelUnavailable("the sandbox payment channel does not exist in production")
    secret = get_secret(settings, settings.sandbox_pay_secret_name, local_value=settings.sandbox_pay_secret)
    if not secret:
        raise ChannelUnavailable("the sandbox payment channel is not configured on this stage")
    return SandboxAdapter(secret, skew_seconds=settings.notify_clock_skew_seconds)


def notify_url(settings: Settings, provider: str) -> str:
    base = settings.notify_base_url or settings.public_base_url
    return f"{base.rstrip('/')}/payments/{provider}/notify"


def refund_notify_url(settings: Settings, provider: str) -> str:
    base = settings.notify_base_url or settings.public_base_url
    return f"{base.rstrip('/')}/payments/{provider}/refund-notify"


def http_policy(settings: Settings) -> Any:
    from chalicelib.payments.http import HttpPolicy  # noqa: PLC0415

    return HttpPolicy(read_seconds=settings.provider_timeout_seconds, attempts=settings.provider_attempts)
