"""An emergency surge over HTTP: 1,000 payment notifications for 200 donations to one
project, duplicated, shuffled and in parallel; the totals must equal the distinct
paid donations exactly."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from chalicelib.clock import utcnow
from chalicelib.config import load_settings
from chalicelib.payments.sandbox import signed_notification
from tests.factories import make_project
from tests.support import eventually, models_on

DONATIONS = 200
NOTIFICATIONS = 1000
THREADS = 8


def test_a_surge_of_duplicated_parallel_notifications_counts_each_donation_once(stack):
    # Given an online emergency project on the running stack (16 counter shards)
    settings = load_settings(stack.env)
    with models_on(settings):
        project = make_project(counter_shards=16, title="河南暴雨紧急救援")
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=THREADS))
    rng = random.Random(4)

    # And 200 pending donations (some donors give twice, some are anonymous without a phone)
    def give(i: int) -> dict:
        body = {"amount_fen": rng.randint(1, 50_000), "channel": "sandbox", "donor_name": "张三", "message": "加油"}
        if i % 5:
            body["donor_phone"] = f"139{i % 120:08d}"
        else:
            body["anonymous"] = True
        response = session.post(
            f"{stack.api_url}/projects/{project.project_id}/donations",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        donations = list(pool.map(give, range(DONATIONS)))

    # When 1,000 notifications (5 per donation, each copy signed afresh as it is sent) arrive shuffled, in parallel
    copies = []
    for started in donations:
        txn = f"SBX{uuid.uuid4().hex[:20]}"
        copies += [(started["payment"]["fields"], txn)] * (NOTIFICATIONS // DONATIONS)
    rng.shuffle(copies)

    def send(copy: tuple[dict, str]) -> int:
        fields, txn = copy
        headers, body = signed_notification(
            settings.sandbox_pay_secret,
            donation_id=fields["out_trade_no"],
            transaction_id=txn,
            amount_fen=fields["amount_fen"],
            reference=fields["attach"],
            now=utcnow(),
        )
        return session.post(
            f"{stack.api_url}/payments/sandbox/notify", data=body, headers=headers, timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(send, copies))

    # Then every notification is acknowledged, and the totals are exactly the distinct donations
    assert Counter(statuses) == {200: NOTIFICATIONS}

    # (public totals are a snapshot the donations stream refreshes: they converge, then stay exact)
    def settled() -> dict | None:
        got = session.get(f"{stack.api_url}/projects/{project.project_id}/totals", timeout=30).json()
        return got if got["donation_count"] >= DONATIONS else None

    totals = (
        eventually(settled, timeout=120)
        or session.get(f"{stack.api_url}/projects/{project.project_id}/totals", timeout=30).json()
    )
    phones = {f"139{i % 120:08d}" for i in range(DONATIONS) if i % 5}
    anonymous = sum(1 for i in range(DONATIONS) if not i % 5)
    assert totals["amount_fen"] == sum(d["donation"]["amount_fen"] for d in donations)
    assert totals["donation_count"] == DONATIONS
    assert totals["donor_count"] == len(phones) + anonymous
    # And the public list shows them all, masked
    listed, cursor = [], None
    while True:
        page = session.get(
            f"{stack.api_url}/projects/{project.project_id}/donations",
            params={"limit": 100, **({"cursor": cursor} if cursor else {})},
            timeout=30,
        ).json()
        listed += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(listed) == DONATIONS
    assert {item["donor"] for item in listed} == {"张*", "爱心人士"}
