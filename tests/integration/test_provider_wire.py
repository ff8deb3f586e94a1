"""The wire between gongyi's adapters and the simulator: signatures both ways, bills parsed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from chalicelib.clock import SHANGHAI, utcnow
from chalicelib.payments import PaymentOrder, ProviderRejected
from chalicelib.payments.alipay import AlipayAdapter
from chalicelib.payments.http import ProviderUnavailable
from chalicelib.payments.wechat import WechatPayAdapter
from tests.factories.payments import configs_for_simulator, private_pem, rsa_key


@pytest.fixture
def adapters(provider_sim, wechat_keys, alipay_keys):
    provider_sim.simulator.state.reset()
    wechat, alipay = configs_for_simulator(wechat_keys, alipay_keys, provider_sim.url)
    return WechatPayAdapter(wechat), AlipayAdapter(alipay), wechat, alipay


def order(donation_id: str, amount_fen: int = 1500, pay_with: str = "native") -> PaymentOrder:
    return PaymentOrder(
        donation_id=donation_id,
        amount_fen=amount_fen,
        subject="捐赠",
        notify_url="http://127.0.0.1:9/payments/x/notify",  # nobody listens: notifications are not the point here
        reference="p=P&s=0",
        pay_by=utcnow() + timedelta(minutes=30),
        pay_with=pay_with,
    )


def test_a_request_signed_with_another_merchant_key_is_refused_by_the_provider(adapters):
    _, _, wechat, _ = adapters
    forged = WechatPayAdapter({**wechat, "merchant_private_key": private_pem(rsa_key())})
    with pytest.raises(ProviderRejected) as refused:
        forged.create_order(order("D-forged"), utcnow())
    assert refused.value.code == "SIGN_ERROR"


def test_an_answer_not_signed_by_the_trusted_platform_key_is_not_believed(adapters):
    _, _, wechat, _ = adapters
    from tests.factories.payments import self_signed_cert

    other_cert, _ = self_signed_cert(rsa_key())
    serial = next(iter(wechat["platform_keys"]))
    distrustful = WechatPayAdapter({**wechat, "platform_keys": {serial: other_cert}})
    with pytest.raises(ProviderUnavailable):
        distrustful.query_order("D-any", utcnow())


def test_query_and_close_speak_for_the_order_as_the_provider_sees_it(adapters, provider_sim):
    wechat, alipay, _, _ = adapters
    now = utcnow()
    wechat.create_order(order("D-paid", 2300), now)
    assert wechat.query_order("D-paid", now).paid is None
    provider_sim.simulator.pay({"out_trade_no": "D-paid", "provider": "wechat"})
    paid = wechat.query_order("D-paid", now).paid
    assert paid is not None and paid.amount_fen == 2300 and paid.reference == {"p": "P", "s": "0"}
    assert wechat.close_order("D-paid", now).paid is not None  # ORDERPAID: the close reports the payment
    assert not wechat.query_order("D-never", now).exists
    # Alipay: unknown until the payer opens the signed URL
    assert not alipay.query_order("A-1", now).exists
    url = alipay.create_order(order("A-1", 888, "wap"), now)["redirect_url"]
    provider_sim.simulator.pay({"order_string": url})
    assert alipay.query_order("A-1", now).paid.amount_fen == 888


def test_both_bills_are_parsed_line_by_line_with_faults_applied(adapters, provider_sim):
    wechat, alipay, _, _ = adapters
    now = utcnow()
    wechat.create_order(order("W-bill", 1000), now)
    provider_sim.simulator.pay({"out_trade_no": "W-bill", "provider": "wechat"})
    url = alipay.create_order(order("A-bill", 2000, "page"), now)["redirect_url"]
    provider_sim.simulator.pay({"order_string": url})
    provider_sim.simulator.state.faults.update({"bill_amount": {"A-bill": 1990}})
    day = now.astimezone(SHANGHAI).date()
    _, wechat_lines = wechat.fetch_bill(day, now)
    raw, alipay_lines = alipay.fetch_bill(day, now)
    assert [
        (line.donation_id, line.amount_fen, line.kind) for line in wechat_lines if line.donation_id == "W-bill"
    ] == [("W-bill", 1000, "payment")]
    assert [(line.donation_id, line.amount_fen) for line in alipay_lines if line.donation_id == "A-bill"] == [
        ("A-bill", 1990)
    ]
    assert raw[:2] == b"PK"  # Alipay's bill is a zip


def test_the_h5_cashier_pays_then_sends_the_payer_back_to_the_merchant_page(adapters, provider_sim):
    wechat_adapter, _, _, _ = adapters
    h5_url = wechat_adapter.create_order(order("D-h5-back", pay_with="h5"), utcnow())["h5_url"]
    back = "http://127.0.0.1:8080/donations/D-h5-back"
    cashier = requests.get(h5_url, params={"redirect_url": back}, timeout=10)
    assert cashier.status_code == 200 and f'name="redirect_url" value="{back}"' in cashier.text

    paid = requests.post(
        f"{provider_sim.url}/__sim/pay",
        data={"provider": "wechat", "out_trade_no": "D-h5-back", "redirect_url": back},
        allow_redirects=False,
        timeout=10,
    )
    assert (paid.status_code, paid.headers["Location"]) == (303, back)
    assert requests.get(f"{provider_sim.url}/__sim/orders/D-h5-back", timeout=10).json()["state"] == "SUCCESS"

    # Paying twice says so on a page (no redirect), and a redirect_url that is no web page is ignored
    again = requests.post(
        f"{provider_sim.url}/__sim/pay",
        data={"provider": "wechat", "out_trade_no": "D-h5-back", "redirect_url": "javascript:alert(1)"},
        allow_redirects=False,
        timeout=10,
    )
    assert again.status_code == 409 and "ORDERPAID" in again.text and "javascript" not in again.text
