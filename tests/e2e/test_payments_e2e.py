"""Real money against the provider simulator (issue 14), over HTTP: gongyi, the simulator
(WeChat Pay v3 + Alipay) and the event pump of one stack, faults injected on purpose."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from chalicelib.clock import SHANGHAI, parse_iso, utcnow
from chalicelib.config import load_settings
from scripts.local_stack import LocalStack
from tests.e2e.conftest import running_stack
from tests.factories import make_project
from tests.support import eventually, models_on


@pytest.fixture(scope="module")
def pay_stack() -> Iterator[LocalStack]:
    with running_stack(demo=False, env={"GONGYI_DONATION_PAY_MINUTES": "5"}) as local:
        yield local


@pytest.fixture
def sim(pay_stack: LocalStack) -> Iterator[Any]:
    """The stack's simulator control endpoint; faults are cleared after each test."""

    def faults(**changes: Any) -> None:
        requests.post(f"{pay_stack.sim_url}/__sim/faults", json=changes, timeout=10).raise_for_status()

    yield faults
    requests.post(f"{pay_stack.sim_url}/__sim/reset", timeout=10).raise_for_status()


@pytest.fixture
def on_stack(pay_stack: LocalStack) -> Iterator[Any]:
    settings = load_settings(pay_stack.env)
    with models_on(settings):
        yield settings


def give(stack: LocalStack, project_id: str, amount_fen: int, channel: str = "wechat", **extra: Any) -> dict:
    response = requests.post(
        f"{stack.api_url}/projects/{project_id}/donations",
        json={"amount_fen": amount_fen, "channel": channel, "anonymous": True, **extra},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def pay(stack: LocalStack, donation_id: str) -> requests.Response:
    return requests.post(f"{stack.sim_url}/__sim/pay", json={"out_trade_no": donation_id}, timeout=10)


def totals(stack: LocalStack, project_id: str) -> tuple[int, int]:
    t = requests.get(f"{stack.api_url}/projects/{project_id}/totals", timeout=10).json()
    return t["amount_fen"], t["donation_count"]


def deliveries(stack: LocalStack, donation_id: str) -> list[dict]:
    order = requests.get(f"{stack.sim_url}/__sim/orders/{donation_id}", timeout=10).json()
    every = requests.get(f"{stack.sim_url}/__sim/deliveries", timeout=10).json()["deliveries"]
    return [d for d in every if d["notification_id"] == order["transaction_id"]]


def test_a_dropped_notification_is_recovered_by_the_sweeper(pay_stack, sim, on_stack):
    from chalicelib.logic.payments.sweeper import sweep_pending

    # Given a paid WeChat Native donation whose notification is dropped
    project = make_project(title="助学")
    started = give(pay_stack, project.project_id, 1200)
    assert started["payment"]["code_url"].startswith("weixin://")
    sim(drop=-1)
    assert pay(pay_stack, started["donation"]["donation_id"]).status_code == 200
    assert totals(pay_stack, project.project_id) == (0, 0)
    # When the sweeper runs (twice: a re-run is harmless)
    outcomes = [sweep_pending(on_stack, utcnow()) for _ in range(2)]
    # Then the payment counts, once
    assert outcomes[0].get("confirmed", 0) >= 1
    assert totals(pay_stack, project.project_id) == (1200, 1)


def test_a_notification_delivered_five_times_out_of_order_counts_once(pay_stack, sim, on_stack):
    # Given two donations, and a simulator that sends each notification five times, newest first
    project = make_project(title="送餐")
    first, second = (give(pay_stack, project.project_id, amount) for amount in (300, 500))
    sim(duplicate=5, reorder=2)
    for started in (first, second):
        assert pay(pay_stack, started["donation"]["donation_id"]).status_code == 200
    # When all of them have been delivered
    for started in (first, second):
        assert eventually(lambda s=started: len(deliveries(pay_stack, s["donation"]["donation_id"])) >= 5)
    # Then each payment counted exactly once
    assert eventually(lambda: totals(pay_stack, project.project_id) == (800, 2)), deliveries(
        pay_stack, first["donation"]["donation_id"]
    )
    assert totals(pay_stack, project.project_id) == (800, 2)
    assert all(d["status"] == 200 for d in deliveries(pay_stack, first["donation"]["donation_id"]))


def test_an_unpaid_order_is_closed_at_its_deadline_and_cannot_be_paid_after(pay_stack, sim, on_stack):
    from chalicelib.logic.payments.sweeper import sweep_pending

    project = make_project(title="净水")
    started = give(pay_stack, project.project_id, 700)
    donation_id = started["donation"]["donation_id"]
    # When the sweeper runs a minute before the deadline
    pay_by = parse_iso(started["donation"]["pay_by"])
    outcome = sweep_pending(on_stack, pay_by - timedelta(minutes=1))
    assert outcome.get("closed", 0) >= 1
    # Then the order is closed at the provider: the donor's payment is refused
    refused = pay(pay_stack, donation_id)
    assert refused.status_code == 409 and refused.json()["error"] == "ORDERCLOSED"
    assert totals(pay_stack, project.project_id) == (0, 0)


def test_a_refund_whose_first_send_fails_succeeds_once_and_totals_drop_once(pay_stack, sim, on_stack):
    from chalicelib.dal.refunds import find_refund
    from scripts.local_stack import local_token

    project = make_project(title="义诊")
    started = give(pay_stack, project.project_id, 900)
    donation_id = started["donation"]["donation_id"]
    assert pay(pay_stack, donation_id).status_code == 200
    assert eventually(lambda: totals(pay_stack, project.project_id) == (900, 1))
    # Given the provider answers the first refund call with a 500
    sim(fail={"/v3/refund/domestic/refunds": [500, 1]})
    admin = {"Authorization": f"Bearer {local_token('platform_admin')}"}
    # When an admin refunds (twice: a retried request)
    for _ in range(2):
        response = requests.post(
            f"{pay_stack.api_url}/donations/{donation_id}/refund",
            json={"reason": "捐赠人申请"},
            headers=admin,
            timeout=30,
        )
        assert response.status_code == 200, response.text
    # Then the refund sender gets it through, WeChat's REFUND.SUCCESS arrives, totals dropped once
    refund = eventually(
        lambda: (r := find_refund(donation_id)) is not None and r.status == "succeeded" and r, timeout=60
    )
    assert refund and refund.provider_refund_id
    assert totals(pay_stack, project.project_id) == (0, 0)
    order = requests.get(f"{pay_stack.sim_url}/__sim/orders/{donation_id}", timeout=10).json()
    assert order["refunded_fen"] == 900  # the provider refunded once


def test_a_bill_with_a_missing_payment_and_a_changed_amount_yields_those_two_differences(pay_stack, sim, on_stack):
    from chalicelib.dal.anomalies import open_anomalies
    from chalicelib.logic.payments.reconciliation import reconcile_day
    from scripts.local_stack import local_token

    project = make_project(title="对账")
    ids = []
    for amount in (1000, 2000, 3000):
        started = give(pay_stack, project.project_id, amount)
        ids.append(started["donation"]["donation_id"])
        assert pay(pay_stack, ids[-1]).status_code == 200
    assert eventually(lambda: totals(pay_stack, project.project_id) == (6000, 3))
    # Given the provider's bill leaves out one payment and changes another's amount
    sim(bill_omit=[ids[0]], bill_amount={ids[1]: 1999})
    today = utcnow().astimezone(SHANGHAI).date()
    # When the day is reconciled, twice
    first = reconcile_day(on_stack, today, utcnow())["providers"]["wechat"]
    anomalies_after_first = {(a.anomaly_key, int(a.seen_count)) for a in open_anomalies(500)}
    second = reconcile_day(on_stack, today, utcnow())["providers"]["wechat"]
    # Then exactly those two differences, and the re-run adds nothing
    found = {(d["kind"], d["donation_id"]) for d in first["differences"]}
    assert found == {("missing_from_bill", ids[0]), ("amount_differs", ids[1])}
    assert second == first
    assert {(a.anomaly_key, int(a.seen_count)) for a in open_anomalies(500)} == anomalies_after_first
    admin = {"Authorization": f"Bearer {local_token('platform_admin')}"}
    shown = requests.get(f"{pay_stack.api_url}/payments/reconciliations/{today.isoformat()}", headers=admin, timeout=10)
    assert shown.status_code == 200 and len(shown.json()["providers"]["wechat"]["differences"]) == 2


def test_alipay_page_payment_through_the_simulator_counts(pay_stack, sim, on_stack):
    project = make_project(title="支付宝")
    started = give(pay_stack, project.project_id, 4321, channel="alipay", pay_with="wap")
    # The donor's browser follows the redirect: the gateway checks gongyi's RSA2 sign and shows the cashier
    opened = requests.get(started["payment"]["redirect_url"], allow_redirects=False, timeout=10)
    assert opened.status_code == 302 and "/__sim/pay/" in opened.headers["Location"]
    assert pay(pay_stack, started["donation"]["donation_id"]).status_code == 200
    assert eventually(lambda: totals(pay_stack, project.project_id) == (4321, 1))
