"""The daily reconciliation matches the bill's refund lines with gongyi's refunds, both ways
(issue 14), against the provider simulator in this process, with its bill faults."""

from __future__ import annotations

import json

import pytest

from chalicelib.clock import SHANGHAI, utcnow
from chalicelib.dal.anomalies import open_anomalies
from chalicelib.dal.refunds import find_refund
from tests.factories import make_project
from tests.integration.test_stray_payments import give_wechat, notification_of, notify, send_until_done
from tests.support import eventually


def paid_donation(client, sim, project_id, amount_fen):
    donation_id = give_wechat(client, project_id, amount_fen)
    sim.pay({"out_trade_no": donation_id, "provider": "wechat"})
    assert notify(client, *notification_of(sim, donation_id)).status_code == 200
    return donation_id


def admin_refund(client, auth, donation_id):
    response = client.http.post(
        f"/donations/{donation_id}/refund", headers=auth("platform_admin"), body=json.dumps({"reason": "捐赠人申请"})
    )
    assert response.status_code == 200, response.json_body
    return find_refund(donation_id).refund_id


def test_refund_lines_are_matched_both_ways_and_a_rerun_adds_nothing(client, payments_env, provider_sim, auth):
    from chalicelib.logic.payments.reconciliation import reconcile_day
    from chalicelib.logic.payments.refunds import RefundStillPending, send_refund
    from chalicelib.payments import RefundOrder, adapter_for

    sim = provider_sim.simulator
    sim.state.faults.update({"drop": -1})  # every notification is lost: gongyi asks
    project = make_project()
    ok, changed, omitted, manual, waiting = (
        paid_donation(client, sim, project.project_id, f) for f in (100, 200, 300, 400, 500)
    )
    # Given four refunds gongyi made and saw succeed
    refund_ids = {d: admin_refund(client, auth, d) for d in (ok, changed, omitted)}
    for donation_id in refund_ids:
        assert send_until_done(payments_env, donation_id) == "succeeded"
    # and one gongyi sent but has not heard back about (its notification lost, not yet re-queried)
    waiting_refund = admin_refund(client, auth, waiting)
    with pytest.raises(RefundStillPending):
        send_refund(payments_env, waiting)
    # and one made in the merchant console, which gongyi never heard of
    adapter_for("wechat", payments_env).send_refund(
        RefundOrder(manual, "CONSOLE-1", sim.state.orders[("wechat", manual)].transaction_id, 400, "客服退款", ""),
        utcnow(),
    )
    # the provider finishes both meanwhile
    assert eventually(lambda: all(r.success_time for r in sim.state.refunds.values()), timeout=10)
    # and a bill that changes one refund's amount and leaves another out
    sim.state.faults.update({"bill_amount": {refund_ids[changed]: 199}, "bill_omit": [refund_ids[omitted]]})
    today = utcnow().astimezone(SHANGHAI).date()
    # When the day is reconciled, twice
    first = reconcile_day(payments_env, today, utcnow())["providers"]["wechat"]
    anomalies_after_first = {(a.anomaly_key, int(a.seen_count)) for a in open_anomalies(500)}
    second = reconcile_day(payments_env, today, utcnow())["providers"]["wechat"]
    # Then exactly the three refund differences, each way (the simulator lives for the whole session:
    # its bill also holds other tests' orders, so only this test's donations are looked at)
    mine = {ok, changed, omitted, manual, waiting}
    found = {
        (d["kind"], d["transaction_id"], d["ours"], d["bill"]) for d in first["differences"] if d["donation_id"] in mine
    }
    assert found == {
        ("refund_amount_differs", refund_ids[changed], 200, 199),
        ("refund_missing_from_bill", refund_ids[omitted], 300, None),
        ("refund_not_recorded", "CONSOLE-1", None, 400),
    }
    # And the refund gongyi was waiting on is proved by the bill
    assert first["recovered_refunds"] == [waiting_refund]
    assert find_refund(waiting).status == "succeeded"
    assert first["gongyi_refunds"] == 3
    # And a re-run finds the same differences and records nothing new
    assert second["differences"] == first["differences"]
    assert second["recovered_refunds"] == [] and second["gongyi_refunds"] == 4
    assert {(a.anomaly_key, int(a.seen_count)) for a in open_anomalies(500)} == anomalies_after_first
