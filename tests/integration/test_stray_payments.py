"""Payments that can never count are refunded automatically, once (issue 14), against the
provider simulator in this process: paid just before the close but after the deadline, and a
second payment of a paid donation."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

from chalicelib.clock import SHANGHAI, to_iso, utcnow
from chalicelib.dal.anomalies import open_anomalies
from chalicelib.dal.donations import DonationModel, find_donation
from chalicelib.dal.refunds import RefundModel, find_refund
from chalicelib.dal.totals import read_totals
from tests.factories import gift, make_project


def give_wechat(client, project_id, amount_fen):
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    body = json.dumps(gift(amount_fen=amount_fen, channel="wechat", anonymous=True))
    response = client.http.post(f"/projects/{project_id}/donations", headers=headers, body=body)
    assert response.status_code == 201, response.json_body
    return response.json_body["donation"]["donation_id"]


def totals(project_id):
    t = read_totals(project_id)
    return t.amount_fen, t.donation_count


def notification_of(sim, donation_id, **changes):
    """WeChat's signed, encrypted TRANSACTION.SUCCESS for the order as the simulator holds it."""
    view = {**sim.wechat.transaction_view(sim.state.orders[("wechat", donation_id)]), **changes}
    return sim.wechat.notification(view, "TRANSACTION.SUCCESS", "transaction")


def notify(client, headers, body):
    return client.http.post("/payments/wechat/notify", headers=headers, body=body)


def refunds_at_provider(sim, donation_id):
    return [r for (p, _), r in sim.state.refunds.items() if p == "wechat" and r.out_trade_no == donation_id]


def send_until_done(settings, refund_key):
    """What the refund sender does on each (re)delivery of the queue message, until it settles."""
    from chalicelib.logic.payments.refunds import RefundStillPending, send_refund

    for _ in range(200):
        try:
            return send_refund(settings, refund_key)
        except RefundStillPending:
            time.sleep(0.05)
    raise AssertionError("the refund never settled")


def set_deadline(donation_id, pay_by):
    DonationModel(donation_id=donation_id).update(actions=[DonationModel.pay_by.set(to_iso(pay_by))])


def test_a_payment_made_after_the_deadline_just_before_the_close_is_refunded_once(client, payments_env, provider_sim):
    from chalicelib.logic.payments.sweeper import sweep_pending

    # Given a WeChat donation whose deadline at gongyi has passed while the order was still open
    # at the provider (the provider's clock let the payer through), and a lost notification
    sim = provider_sim.simulator
    project = make_project()
    donation_id = give_wechat(client, project.project_id, 1300)
    set_deadline(donation_id, utcnow() - timedelta(minutes=1))
    sim.state.faults.update({"drop": -1})
    sim.pay({"out_trade_no": donation_id, "provider": "wechat"})
    transaction_id = sim.state.orders[("wechat", donation_id)].transaction_id
    # When the sweeper finds it paid (twice: a re-run), and the provider's notification arrives twice
    outcomes = [sweep_pending(payments_env, utcnow()) for _ in range(2)]
    replies = [notify(client, *notification_of(sim, donation_id)) for _ in range(2)]
    # Then it did not count, it is refunded (one refund keyed by the transaction), and acknowledged
    assert outcomes[0].get("refunded") == 1 and "refunded" not in outcomes[1]
    assert [r.status_code for r in replies] == [200, 200]
    assert totals(project.project_id) == (0, 0)
    assert find_donation(donation_id).status == "expired"
    refund = find_refund(RefundModel.stray_key("wechat", transaction_id))
    assert refund.status == "requested" and refund.amount_fen == 1300 and refund.stray_reason == "expired"
    # And the refund sender (each redelivery of the message) sends it once and it succeeds
    for _ in range(2):
        assert send_until_done(payments_env, refund.refund_key) == "succeeded"
    assert [r.amount_fen for r in refunds_at_provider(sim, donation_id)] == [1300]
    assert totals(project.project_id) == (0, 0)
    kinds = sorted(a.kind for a in open_anomalies() if a.donation_id == donation_id)
    assert kinds == ["auto_refund", "expired"]
    # And the day's reconciliation knows the payment in the bill as refunded, not as uncounted money
    from chalicelib.logic.payments.reconciliation import reconcile_day

    day = reconcile_day(payments_env, utcnow().astimezone(SHANGHAI).date(), utcnow())["providers"]["wechat"]
    assert transaction_id in day["stray_refunded"]
    assert [d for d in day["differences"] if d["donation_id"] == donation_id] == []


def test_a_second_payment_of_a_paid_donation_is_refunded_once_and_totals_stay(client, payments_env, provider_sim):
    sim = provider_sim.simulator
    project = make_project()
    donation_id = give_wechat(client, project.project_id, 2100)
    sim.state.faults.update({"drop": -1})
    sim.pay({"out_trade_no": donation_id, "provider": "wechat"})
    assert notify(client, *notification_of(sim, donation_id)).status_code == 200
    assert totals(project.project_id) == (2100, 1)
    # Given the donor paid the same donation again: another transaction id, reported three times
    second = "4200000000999999999999"
    replies = [notify(client, *notification_of(sim, donation_id, transaction_id=second)) for _ in range(3)]
    # Then it is acknowledged and refunded once; the first payment still counts, once
    assert [r.status_code for r in replies] == [200, 200, 200]
    refund = find_refund(RefundModel.stray_key("wechat", second))
    assert refund.stray_reason == "paid_twice" and refund.refund_id == f"RS{second}"
    assert send_until_done(payments_env, refund.refund_key) == "succeeded"
    assert send_until_done(payments_env, refund.refund_key) == "succeeded"
    assert [r.out_refund_no for r in refunds_at_provider(sim, donation_id)] == [f"RS{second}"]
    assert totals(project.project_id) == (2100, 1)
    assert find_donation(donation_id).status == "paid"
    assert find_refund(donation_id) is None  # the donation's own refund is still free to happen


def test_a_payment_made_in_time_whose_news_came_late_is_counted_not_refunded(client, payments_env, provider_sim):
    from chalicelib.logic.payments.sweeper import sweep_pending

    # Given a payment made exactly at the deadline, notified after it
    sim = provider_sim.simulator
    project = make_project()
    donation_id = give_wechat(client, project.project_id, 800)
    sim.state.faults.update({"drop": -1})
    sim.pay({"out_trade_no": donation_id, "provider": "wechat"})
    order = sim.state.orders[("wechat", donation_id)]
    set_deadline(donation_id, order.success_time)
    time.sleep(1.1)
    # When the notification arrives it is refused (judged at arrival) but nothing is refunded
    assert notify(client, *notification_of(sim, donation_id)).status_code == 400
    assert find_refund(RefundModel.stray_key("wechat", order.transaction_id)) is None
    # And the sweeper, judging at the payment time, counts it
    assert sweep_pending(payments_env, utcnow()).get("confirmed") == 1
    assert totals(project.project_id) == (800, 1)


def test_an_alipay_payment_made_after_the_deadline_is_refunded_at_alipay_once(client, payments_env, provider_sim):
    from chalicelib.logic.payments.sweeper import sweep_pending

    # Given an Alipay app donation whose deadline passed at gongyi while Alipay still took the payment
    sim = provider_sim.simulator
    project = make_project()
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    body = json.dumps(gift(amount_fen=990, channel="alipay", pay_with="app", anonymous=True))
    started = client.http.post(f"/projects/{project.project_id}/donations", headers=headers, body=body).json_body
    donation_id = started["donation"]["donation_id"]
    set_deadline(donation_id, utcnow() - timedelta(minutes=1))
    sim.state.faults.update({"drop": -1})
    assert sim.pay({"order_string": started["payment"]["order_string"]})[0] == 200
    # When the sweeper finds it paid
    assert sweep_pending(payments_env, utcnow()).get("refunded") == 1
    # Then Alipay refunds it (synchronously), once, and nothing counted
    transaction_id = sim.state.orders[("alipay", donation_id)].transaction_id
    refund_key = RefundModel.stray_key("alipay", transaction_id)
    assert [send_until_done(payments_env, refund_key) for _ in range(2)] == ["succeeded", "succeeded"]
    refunded = [r for (p, _), r in sim.state.refunds.items() if p == "alipay" and r.out_trade_no == donation_id]
    assert [(r.out_refund_no, r.amount_fen) for r in refunded] == [(f"RS{transaction_id}", 990)]
    assert totals(project.project_id) == (0, 0)
