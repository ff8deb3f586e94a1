"""Fund flow: credit each project's raising node from paid (and refunded) donations.

``fundflow_credit_raised`` (donations stream) handles a whole batch at once so
that a node is written once per batch, not once per gift; on failure every
record of the batch is reported (crediting is idempotent per donation id).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Stream, Uses

CREDIT_RAISED = "fundflow_credit_raised"


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


FUNCTIONS = [
    LambdaFunction(
        name=CREDIT_RAISED,
        trigger=Stream(table="donations", batch_size=100),
        body=credit_raised,
        uses=Uses(tables=("donations", "fund-nodes", "fund-credits")),
    ),
]
