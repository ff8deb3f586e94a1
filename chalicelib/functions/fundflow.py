"""Fund flow: credit each project's raising node from paid (and refunded) donations.

``fundflow_credit_raised`` (donations stream) handles a whole batch at once so
that a node is written once per batch, not once per gift; on failure every
record of the batch is reported (crediting is idempotent per donation id).

``fundflow_followers_disbursements`` / ``_fund_uses`` (streams) queue one job per
follower shard for each money event; ``fundflow_notify_followers``
(``follower-notices`` queue) notifies one page of a shard's followers per job
and queues the next page. Notifying is idempotent per (donor, money event).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Queue, Stream, Uses, process_queue_batch

CREDIT_RAISED = "fundflow_credit_raised"
NOTIFY_FOLLOWERS = "fundflow_notify_followers"


def stream_images(event: Any) -> list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]:
    """(sequence number, new image, old image) of each record, images as plain Python values."""
    from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

    raw = event.to_dict() if hasattr(event, "to_dict") else event
    found = []
    for record in DynamoDBStreamEvent(raw).records:
        change = record.dynamodb
        if change is None:
            continue
        found.append((str(change.sequence_number), change.new_image or None, change.old_image or None))
    return found


def whole_batch(event: Any, apply: Any) -> dict[str, Any]:
    """Apply ``apply`` to every (new, old) of the batch; on failure report the batch from its first record."""
    from chalicelib.observability import logger

    images = stream_images(event)
    try:
        apply([(new, old) for _seq, new, old in images])
    except Exception:
        logger.exception("batch failed; it will be retried from its first record")
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq, _new, _old in images[:1]]}
    return {"batchItemFailures": []}


def credit_raised(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.logic.fundflow.credits import apply_donation_changes

    return whole_batch(event, apply_donation_changes)


def _follower_jobs(table: str) -> Any:
    def body(settings: Settings, event: Any) -> dict[str, Any]:
        from chalicelib.logic.fundflow.followers import queue_fanout

        return whole_batch(event, lambda changes: queue_fanout(settings, table, changes))

    return body


def notify_followers(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.logic.fundflow.followers import notify_followers as notify

    return process_queue_batch(event, lambda record: notify(settings, json.loads(record.body)))


FUNCTIONS = [
    LambdaFunction(
        name=CREDIT_RAISED,
        trigger=Stream(table="donations", batch_size=100),
        body=credit_raised,
        uses=Uses(tables=("donations", "fund-nodes", "fund-credits")),
    ),
    *(
        LambdaFunction(
            name=f"fundflow_followers_{table.replace('-', '_')}",
            trigger=Stream(table=table, batch_size=100),
            body=_follower_jobs(table),
            uses=Uses(reads=("projects",), queues_send=("follower-notices",)),
        )
        for table in ("disbursements", "fund-uses")
    ),
    LambdaFunction(
        name=NOTIFY_FOLLOWERS,
        trigger=Queue(queue="follower-notices", batch_size=10),
        body=notify_followers,
        uses=Uses(reads=("follows",), tables=("notifications", "notification-keys"), queues_send=("follower-notices",)),
    ),
]
