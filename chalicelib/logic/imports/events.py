"""The import worker's Lambda function: S3 upload events and continuations from the imports queue."""

from __future__ import annotations

import json
from typing import Any

from chalice import Chalice

from chalicelib.config import Settings


def register(app: Chalice, settings: Settings) -> None:
    # One message per invocation: a message can be a long job, and a failure must
    # repeat only its own message (the queue's redrive policy then parks it in the DLQ).
    @app.on_sqs_message(queue=settings.queue_name("imports"), batch_size=1, name="import_worker")
    def import_worker(event: Any) -> None:
        from chalicelib.logic.imports.worker import handle_import_message  # noqa: PLC0415 - keep cold starts light

        for record in event:
            handle_import_message(settings, json.loads(record.body), event.context)
