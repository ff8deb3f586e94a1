"""What the simulated providers remember: orders, refunds, faults, notification deliveries."""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

# The providers' documented retry schedules (seconds after the previous attempt).
WECHAT_RETRIES = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
ALIPAY_RETRIES = (240, 600, 600, 3600, 7200, 21600, 54000)


@dataclass
class Order:
    provider: str  # wechat | alipay
    out_trade_no: str
    amount_fen: int
    description: str
    notify_url: str
    attach: str  # WeChat attach / Alipay passback_params
    time_expire: datetime | None
    trade_type: str  # JSAPI NATIVE MWEB | page wap app
    created_at: datetime
    state: str = "NOTPAY"  # NOTPAY SUCCESS CLOSED REFUND (WeChat's words; Alipay's are mapped)
    transaction_id: str = ""
    success_time: datetime | None = None
    openid: str = ""
    refunded_fen: int = 0


@dataclass
class Refund:
    provider: str
    out_refund_no: str
    out_trade_no: str
    refund_id: str
    amount_fen: int
    notify_url: str
    created_at: datetime
    status: str = "PROCESSING"  # PROCESSING SUCCESS ABNORMAL CLOSED
    success_time: datetime | None = None


@dataclass
class Faults:
    """What to get wrong on purpose (``POST /__sim/faults``, merged; ``reset`` clears).

    - ``drop``: drop every delivery attempt of the next N notifications (-1: all);
    - ``duplicate``: deliver each notification N times;
    - ``delay``: seconds before the first attempt;
    - ``reorder``: hold notifications until N are queued, then send them newest first;
    - ``fail``: ``{"<path substring>": [status, times]}``: answer API calls with that status
      (e.g. 500) that many times; status 0 means hang for ``timeout_seconds`` then drop the connection;
    - ``bill_omit``: out_trade_nos (payment lines) or out_refund_nos (refund lines) left out of
      bills; ``bill_amount``: ``{out_trade_no or out_refund_no: fen}`` amounts written into bills
      instead of the paid or refunded ones.
    """

    drop: int = 0
    duplicate: int = 1
    delay: float = 0.0
    reorder: int = 0
    fail: dict[str, list[int]] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    bill_omit: list[str] = field(default_factory=list)
    bill_amount: dict[str, int] = field(default_factory=dict)

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if not hasattr(self, name):
                raise KeyError(name)
            setattr(self, name, value)

    def failure_for(self, path: str) -> int | None:
        """The status to answer ``path`` with (0: hang), consuming one planned failure."""
        for needle, plan in self.fail.items():
            if needle in path and plan[1] > 0:
                plan[1] -= 1
                return int(plan[0])
        return None


@dataclass
class Delivery:
    notification_id: str
    url: str
    attempt: int
    status: int | None
    answer: str
    at: float


class SimState:
    def __init__(self, *, time_scale: float = 0.01):
        self.lock = threading.RLock()
        self.time_scale = time_scale
        self.orders: dict[tuple[str, str], Order] = {}
        self.refunds: dict[tuple[str, str], Refund] = {}
        self.openids: dict[str, str] = {}  # login code -> openid (jscode2session)
        self.faults = Faults()
        self.deliveries: list[Delivery] = []
        self.held: list[tuple[str, str, Callable[[], tuple[dict[str, str], bytes]], str]] = []
        self.queue: list[tuple[float, int, Any]] = []
        self.counter = itertools.count()
        self.wakeup = threading.Condition(self.lock)
        self.session = requests.Session()
        self.running = True
        threading.Thread(target=self._deliver_loop, daemon=True, name="notifier").start()

    def reset(self) -> None:
        with self.lock:
            self.faults = Faults()
            self.held.clear()
            self.queue.clear()
            self.deliveries.clear()

    def new_transaction_id(self, provider: str) -> str:
        digits = "".join(random.choices("0123456789", k=20))
        return f"4200{digits}" if provider == "wechat" else f"2026{digits}"

    # -- notifications ----------------------------------------------------------------------

    def notify(
        self,
        provider: str,
        url: str,
        build: Callable[[], tuple[dict[str, str], bytes]],
        notification_id: str,
    ) -> None:
        """Send a notification with the provider's retries and the planned faults.
        ``build`` signs it afresh for each attempt (signatures carry a timestamp)."""
        with self.lock:
            faults = self.faults
            dropped = faults.drop != 0
            if faults.drop > 0:
                faults.drop -= 1
            if dropped:
                self.deliveries.append(Delivery(notification_id, url, 0, None, "dropped", time.time()))
                return
            self.held.append((provider, url, build, notification_id))
            if faults.reorder and len(self.held) < faults.reorder:
                return
            batch, self.held = list(reversed(self.held)) if faults.reorder else self.held, []
            copies = max(1, faults.duplicate)
            start = time.monotonic() + faults.delay
            for copy in range(copies):
                for provider_, url_, build_, nid in batch:
                    self._schedule(start + 0.01 * copy, (provider_, url_, build_, nid, 0))

    def _schedule(self, when: float, job: Any) -> None:
        heapq.heappush(self.queue, (when, next(self.counter), job))
        self.wakeup.notify()

    def _deliver_loop(self) -> None:
        while self.running:
            with self.lock:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    timeout = (self.queue[0][0] - time.monotonic()) if self.queue else 1.0
                    self.wakeup.wait(max(0.005, min(timeout, 1.0)))
                _, _, job = heapq.heappop(self.queue)
            threading.Thread(target=self._attempt, args=(job,), daemon=True).start()

    def _attempt(self, job: Any) -> None:
        provider, url, build, nid, attempt = job
        headers, body = build()
        try:
            reply = self.session.post(url, data=body, headers=headers, timeout=10)
            status, answer = reply.status_code, reply.text[:200]
        except requests.RequestException as exc:
            status, answer = None, type(exc).__name__
        ok = status is not None and (
            200 <= status < 300 if provider == "wechat" else (status == 200 and answer.strip() == "success")
        )
        with self.lock:
            self.deliveries.append(Delivery(nid, url, attempt + 1, status, answer, time.time()))
            schedule = WECHAT_RETRIES if provider == "wechat" else ALIPAY_RETRIES
            if not ok and attempt < len(schedule):
                self._schedule(
                    time.monotonic() + schedule[attempt] * self.time_scale, (provider, url, build, nid, attempt + 1)
                )
