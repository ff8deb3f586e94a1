"""The payment jobs (issue 14).

- ``payment_sweeper`` (every minute): pending donations near/past their deadline
  are queried at their provider; paid ones are confirmed through ``settle``,
  unpaid ones are closed at the deadline (``logic.payments.sweeper``).
- ``refund_sender`` (``refunds`` queue): sends each refund, follows it up until
  it succeeds or fails (``logic.payments.refunds``); failures come back for
  redelivery, then the dead-letter queue (infra/payments.yaml).
- ``payment_reconciler`` (10:30 Shanghai, after WeChat's and Alipay's bills are
  ready): the previous day's bills against gongyi's books
  (``logic.payments.reconciliation``); a re-run of the day is a no-op.
"""

from __future__ import annotations

from typing import Any

from chalice import Cron, Rate

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Queue, Schedule, Uses, process_queue_batch

SWEEPER = "payment_sweeper"
REFUND_SENDER = "refund_sender"
RECONCILER = "payment_reconciler"
PROVIDER_SECRETS = ("wechat_secret_name", "alipay_secret_name")
_SETTLE_TABLES = ("donations", "payment-transactions", "project-counters", "project-donors", "payment-anomalies")


def sweep(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.clock import parse_iso, utcnow
    from chalicelib.logic.payments.sweeper import sweep_pending

    current = bootstrap()
    at = getattr(event, "time", None)
    # The sweep looks at the present, whatever the event's time: a late delivery must not close early.
    return sweep_pending(current, max(utcnow(), parse_iso(at)) if at else utcnow())


def send_refunds(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.payments.refunds import refund_key_of_message, send_refund

    current = bootstrap()
    return process_queue_batch(event, lambda record: send_refund(current, refund_key_of_message(record.body)))


def reconcile(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.clock import parse_iso, utcnow
    from chalicelib.logic.payments.reconciliation import previous_day, reconcile_day

    current = bootstrap()
    at = parse_iso(event.time) if getattr(event, "time", None) else utcnow()
    return reconcile_day(current, previous_day(at), utcnow())


FUNCTIONS = [
    LambdaFunction(
        name=SWEEPER,
        trigger=Schedule(Rate(1, unit=Rate.MINUTES), description="query, confirm and close pending payments"),
        body=sweep,
        # A payment too late to count is refunded (logic.payments.strays): the refund item and the queue.
        uses=Uses(tables=(*_SETTLE_TABLES, "refunds"), queues_send=("refunds",), secrets=PROVIDER_SECRETS),
    ),
    LambdaFunction(
        name=REFUND_SENDER,
        trigger=Queue(queue="refunds", batch_size=5),
        body=send_refunds,
        uses=Uses(tables=("refunds", "donations", "payment-anomalies"), secrets=PROVIDER_SECRETS),
    ),
    LambdaFunction(
        name=RECONCILER,
        # 10:30 Asia/Shanghai = 02:30 UTC.
        trigger=Schedule(Cron(30, 2, "*", "*", "?", "*"), description="daily reconciliation against the bills"),
        body=reconcile,
        uses=Uses(
            tables=(*_SETTLE_TABLES, "refunds", "payment-reconciliations"),
            buckets=("reports_bucket",),
            queues_send=("refunds",),
            secrets=PROVIDER_SECRETS,
        ),
    ),
]
