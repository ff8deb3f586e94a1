"""The 10,000-gift burst in CI (issue 13, item 5): 10,000 gifts to one project over HTTP on the
local stack, every payment notification sent two or three times, the copies at the same moment
and the gifts in shuffled order (some copies arrive after later gifts' first ones), 16 requests
in flight. The totals must equal the distinct paid gifts exactly, to the fen.

The stack runs without its event pump: totals are written by the payment transaction itself,
and the pump's work (receipts, search) is measured by bench/bench_local_surge.py. What this
costs and why it fits: docs/robustness.md ("The 10,000-gift burst in CI")."""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from chalicelib.clock import utcnow
from chalicelib.config import load_settings
from chalicelib.payments.sandbox import signed_notification
from scripts.local_stack import LocalStack, free_port
from tests.factories import make_project
from tests.support import models_on

GIFTS = int(os.environ.get("GONGYI_BURST_GIFTS", "10000"))
THREADS = 16


@pytest.fixture(scope="module")
def burst_stack() -> Iterator[LocalStack]:
    saved = dict(os.environ)
    local = LocalStack(aws_port=free_port(), api_port=free_port(), demo=False, workers=False, quiet=True)
    local.start()
    os.environ.clear()
    os.environ.update(saved)
    try:
        yield local
    finally:
        local.stop()


@pytest.mark.slow
def test_ten_thousand_gifts_with_duplicated_concurrent_out_of_order_notifications(burst_stack):
    stack = burst_stack
    settings = load_settings(stack.env)
    with models_on(settings):
        project = make_project(counter_shards=16, title="河南暴雨紧急救援")
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=THREADS * 3))
    rng = random.Random(13)
    amounts = [rng.randint(1, 50_000) for _ in range(GIFTS)]
    phones = [f"139{rng.randrange(GIFTS // 2):08d}" if i % 7 else None for i in range(GIFTS)]

    # Given 10,000 pending gifts (a donor in two gives twice; every 7th is anonymous)
    def give(i: int) -> dict:
        body = {"amount_fen": amounts[i], "channel": "sandbox", "donor_name": "张三"}
        body.update({"donor_phone": phones[i]} if phones[i] else {"anonymous": True})
        response = session.post(
            f"{stack.api_url}/projects/{project.project_id}/donations",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=120,
        )
        assert response.status_code == 201, response.text
        return response.json()["payment"]["fields"]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        fields = list(pool.map(give, range(GIFTS)))

    # When each notification arrives twice at the same moment, gifts shuffled, and a third copy
    # of every fifth gift arrives later, after other gifts' first copies
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def notify(gift: int, txn: str) -> None:
        headers, body = signed_notification(
            settings.sandbox_pay_secret,
            donation_id=fields[gift]["out_trade_no"],
            transaction_id=txn,
            amount_fen=fields[gift]["amount_fen"],
            reference=fields[gift]["attach"],
            now=utcnow(),
        )
        code = session.post(f"{stack.api_url}/payments/sandbox/notify", data=body, headers=headers, timeout=120)
        with lock:
            statuses[code.status_code] += 1

    txns = [f"SBX{uuid.uuid4().hex[:20]}" for _ in range(GIFTS)]
    order = list(range(GIFTS))
    rng.shuffle(order)
    due: dict[int, list[int]] = {}  # position in the schedule -> gifts whose third copy goes then
    for position, gift in enumerate(order):
        if gift % 5 == 0:
            due.setdefault(position + rng.randrange(1, 500), []).append(gift)
    schedule: list[tuple[int, int]] = []
    for position, gift in enumerate(order):
        schedule.append((gift, 2))
        schedule += [(late, 1) for late in due.pop(position, [])]
    schedule += [(late, 1) for pending in due.values() for late in pending]
    late_copies = sum(1 for _, copies in schedule if copies == 1)

    def send(entry: tuple[int, int]) -> None:
        gift, copies = entry
        together = [threading.Thread(target=notify, args=(gift, txns[gift])) for _ in range(copies)]
        for t in together:
            t.start()
        for t in together:
            t.join()

    with ThreadPoolExecutor(max_workers=THREADS // 2) as pool:
        list(pool.map(send, schedule))

    # Then every copy is acknowledged and the totals are exactly the distinct gifts
    assert statuses == {200: 2 * GIFTS + late_copies}
    totals = session.get(f"{stack.api_url}/projects/{project.project_id}/totals", timeout=60).json()
    assert totals["amount_fen"] == sum(amounts)
    assert totals["donation_count"] == GIFTS
    assert totals["donor_count"] == len({p for p in phones if p}) + phones.count(None)
