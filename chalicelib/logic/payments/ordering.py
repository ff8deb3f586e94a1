"""Opening a donation's order at its provider, for the frontend the donor pays in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clock import parse_iso
from chalicelib.config import Settings
from chalicelib.dal.donations import DonationModel
from chalicelib.errors import ValidationFailed
from chalicelib.observability import metrics
from chalicelib.payments import DEFAULT_PAY_WITH, PAY_WITH, PaymentAdapter, PaymentOrder, notify_url


def pay_with_for(channel: str, pay_with: str | None) -> str:
    """The frontend kind of ``channel`` (its default when not given); 422 when it is not one of its."""
    chosen = pay_with or DEFAULT_PAY_WITH[channel]
    if chosen not in PAY_WITH[channel]:
        raise ValidationFailed(
            "the donation is not valid",
            details=[
                {
                    "field": "pay_with",
                    "code": "pay_with_not_of_channel",
                    "message": f"{channel} pays with one of {', '.join(PAY_WITH[channel])}",
                }
            ],
        )
    return chosen


def open_order(
    settings: Settings,
    adapter: PaymentAdapter,
    donation: DonationModel,
    *,
    subject: str,
    reference: str,
    login_code: str | None,
    client_ip: str,
    now: datetime,
) -> dict[str, Any]:
    """Create the order at the provider (out_trade_no = donation id, expiry = pay_by) and return
    what the frontend needs. JSAPI's payer is the openid ``jscode2session`` gives for the
    donor's login code: an openid sent by the client is never used."""
    openid = ""
    if donation.pay_with == "jsapi":
        if not login_code:
            raise ValidationFailed(
                "the donation is not valid",
                details=[{"field": "login_code", "code": "required", "message": "JSAPI needs the wx.login code"}],
            )
        openid = adapter.openid_for(login_code)  # type: ignore[attr-defined]
    assert donation.pay_by is not None
    order = PaymentOrder(
        donation_id=donation.donation_id,
        amount_fen=int(donation.amount_fen),
        subject=subject,
        notify_url=notify_url(settings, donation.channel),
        reference=reference,
        pay_by=parse_iso(donation.pay_by),
        pay_with=donation.pay_with or "",
        openid=openid,
        client_ip=client_ip,
    )
    return dict(time_call(lambda: adapter.create_order(order, now)))


def time_call(call: Any) -> Any:
    """Run a provider call, recording how long it took (ProviderCallMs): the benchmark reports
    provider time apart from DynamoDB time."""
    import time  # noqa: PLC0415

    started = time.perf_counter()
    try:
        return call()
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        PROVIDER_TIMINGS.append(elapsed)
        metrics.add_metric(name="ProviderCallMs", unit="Milliseconds", value=elapsed)


# Provider call durations in this process (milliseconds), for benchmarks; bounded.
class _Timings(list[float]):
    def append(self, value: float) -> None:
        if len(self) > 10_000:
            del self[:5_000]
        super().append(value)


PROVIDER_TIMINGS: _Timings = _Timings()
