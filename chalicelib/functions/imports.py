"""The import worker: S3 upload events and continuations from the imports queue."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Queue, Uses, process_queue_batch

IMPORT_WORKER = "import_worker"


def run_import(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.logic.imports.worker import handle_import_message  # noqa: PLC0415 - keep cold starts light

    # One message per invocation (batch 1), reported as a partial batch response like every
    # consumer: a failure repeats only its own message, and the queue's redrive policy parks
    # it in the DLQ after five tries.
    context = event.context
    return process_queue_batch(event, lambda record: handle_import_message(settings, json.loads(record.body), context))


FUNCTIONS = [
    LambdaFunction(
        name=IMPORT_WORKER,
        trigger=Queue(queue="imports", batch_size=1),
        body=run_import,
        uses=Uses(
            tables=(
                "imports", "import-lanes", "import-row-errors", "donations", "projects",
                "project-counters",
            ),
            buckets=("imports_bucket", "reports_bucket"),
            queues_send=("imports",),
            secrets=("phone_hash_key_name",),
        ),
    ),
]  # fmt: skip
