"""The receipt workers, each fed by a DynamoDB stream.

- ``receipt_issuer`` (donations stream): numbers provider-paid donations and
  voids refunded ones. No PDF library.
- ``receipt_renderer`` (receipts stream): renders and stores the 三证 of sets
  in status ``allocated``. The only function that imports reportlab, and only
  inside its body.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Stream, Uses, process_stream_batch

ISSUER = "receipt_issuer"
RENDERER = "receipt_renderer"


def _new_image(record: Any) -> dict[str, Any] | None:
    return record.dynamodb.new_image if record.dynamodb else None


def issue_receipts(settings: Settings, event: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.receipts.issuing import number_batch, on_donation_change

    current = bootstrap()
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    # The batch's paid donations numbered together first (one transaction per charity, not one
    # each); then each record as usual, so a failure still retries only its own record.
    numbered = number_batch(current, [_new_image(record) for record in DynamoDBStreamEvent(raw).records])
    return process_stream_batch(
        raw, lambda record: str(on_donation_change(current, _new_image(record), numbered=numbered))
    )


def render_receipts(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import bootstrap
    from chalicelib.logic.receipts import documents  # noqa: F401 - reportlab, here and only here
    from chalicelib.logic.receipts.issuing import issue_streamed_sets

    current = bootstrap()
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    # The batch's allocated sets are issued together (rendered side by side, marked issued in one
    # transaction); then each record's outcome is reported as usual, so a failed set retries alone.
    allocated = [
        record["dynamodb"]
        for record in raw.get("Records", [])
        if record.get("dynamodb", {}).get("NewImage", {}).get("status") == {"S": "allocated"}
    ]
    outcomes = dict(
        zip(
            [record["SequenceNumber"] for record in allocated],
            issue_streamed_sets(current, [record["NewImage"] for record in allocated]),
            strict=True,
        )
    )

    def render(record: Any) -> str:
        outcome = outcomes.get(record.dynamodb.sequence_number if record.dynamodb else None, "ignored")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return process_stream_batch(raw, render)


FUNCTIONS = [
    LambdaFunction(
        name=ISSUER,
        trigger=Stream(table="donations", batch_size=50),
        body=issue_receipts,
        uses=Uses(tables=("receipts", "receipt-counters"), reads=("donations", "projects", "orgs")),
    ),
    LambdaFunction(
        name=RENDERER,
        trigger=Stream(table="receipts", batch_size=25),
        body=render_receipts,
        uses=Uses(
            tables=("receipts",), reads=("donations", "projects", "orgs"), buckets=("receipts_bucket:receipts/",)
        ),
    ),
]
