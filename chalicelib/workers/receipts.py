"""The receipt workers: two Lambda functions, each fed by a DynamoDB stream.

- ``receipt_issuer`` (donations stream): numbers provider-paid donations and
  voids refunded ones. No PDF library.
- ``receipt_renderer`` (receipts stream): renders and stores the 三证 of sets
  in status ``allocated``. The only function that imports reportlab, and only
  inside its body: every Lambda function imports ``app.py``.

Both use Powertools' ``BatchProcessor`` so that one failing record is reported
alone (``ReportBatchItemFailures``) and retried without repeating its
neighbours' work (which is idempotent anyway). The stream ARNs below are
placeholders naming the table (the local pump reads the table name from
them); ``infra/receipts.yaml`` points the deployed event source mappings at
the tables' real ``StreamArn``.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice
from chalice.app import DynamoDBEvent

from chalicelib.config import Settings

ISSUER = "receipt_issuer"
RENDERER = "receipt_renderer"


def stream_arn(settings: Settings, table_suffix: str) -> str:
    table = settings.table_name(table_suffix)
    return f"arn:aws:dynamodb:{settings.aws_region}:123456789012:table/{table}/stream/local"


def _process(event: DynamoDBEvent, handle_image: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    def record_handler(record: DynamoDBRecord) -> str:
        return str(handle_image(record.dynamodb.new_image if record.dynamodb else None))

    response = process_partial_response(
        event=event.to_dict(), record_handler=record_handler, processor=BatchProcessor(EventType.DynamoDBStreams)
    )
    return dict(response)


def register(app: Chalice, settings: Settings) -> None:
    @app.on_dynamodb_record(stream_arn=stream_arn(settings, "donations"), name=ISSUER, batch_size=50)
    def receipt_issuer(event: DynamoDBEvent) -> dict[str, Any]:
        from chalicelib.bootstrap import bootstrap
        from chalicelib.logic.receipts.issuing import on_donation_change

        current = bootstrap()
        return _process(event, lambda image: on_donation_change(current, image))

    @app.on_dynamodb_record(stream_arn=stream_arn(settings, "receipts"), name=RENDERER, batch_size=10)
    def receipt_renderer(event: DynamoDBEvent) -> dict[str, Any]:
        from chalicelib.bootstrap import bootstrap
        from chalicelib.logic.receipts import documents  # noqa: F401 - reportlab, here and only here
        from chalicelib.logic.receipts.issuing import render_receipt_set

        current = bootstrap()

        def render(image: dict[str, Any] | None) -> str:
            if not image or image.get("status") != "allocated":
                return "ignored"
            return render_receipt_set(current, str(image["donation_id"]))

        return _process(event, render)
