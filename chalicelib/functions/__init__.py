"""Every non-HTTP Lambda function of gongyi, declared in one room per family.

A family module (``receipts``, ``imports``, ``compliance``, ``search`` ...)
lists its functions as ``LambdaFunction`` values: the name Chalice deploys,
the trigger and its batch settings, the body, and ``uses``: every table,
bucket, queue, topic and secret the function touches. ``register_functions``
attaches them all to the app; infra/ generates each function's IAM policy
from ``uses`` (nothing else grants a function anything).

Every Lambda function Chalice builds imports ``app.py`` and so this package:
keep it light. A body imports its logic (and heavy libraries such as PDF or
spreadsheets) inside itself, never at module level, or the donor-facing API
function would pay for them at cold start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Chalice, Cron, Rate

from chalicelib.config import Settings

FAMILIES = ("receipts", "imports", "compliance", "search", "fundflow", "ledger", "matching", "payments")


@dataclass(frozen=True)
class Uses:
    """What a function touches. Tables by suffix (``donations``): ``tables`` read and written,
    ``reads`` only read (get, batch get, query, condition check). Buckets by settings field
    (``receipts_bucket``), optionally narrowed to a key prefix (``receipts_bucket:receipts/``);
    queues by purpose (``imports``), topics and secrets (SSM parameter names) by settings field."""

    tables: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    stream_tables: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    queues_send: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stream:
    """A DynamoDB stream of the table with this suffix."""

    table: str
    batch_size: int
    starting_position: str = "LATEST"


@dataclass(frozen=True)
class Queue:
    """An SQS queue by purpose (``settings.queue_name(purpose)``)."""

    queue: str
    batch_size: int


@dataclass(frozen=True)
class Schedule:
    expression: Rate | Cron
    description: str = ""


Trigger = Stream | Queue | Schedule


@dataclass(frozen=True)
class LambdaFunction:
    name: str
    trigger: Trigger
    body: Callable[[Settings, Any], Any]
    uses: Uses = field(default_factory=Uses)

    def all_tables(self) -> tuple[str, ...]:
        tables = list(dict.fromkeys((*self.uses.tables, *self.uses.reads)))
        if isinstance(self.trigger, Stream) and self.trigger.table not in tables:
            tables.append(self.trigger.table)
        return tuple(tables)


def stream_arn(settings: Settings, table_suffix: str) -> str:
    """A placeholder stream ARN naming the table: the local pump resolves it by table name;
    deployed, infra/ points the event source mapping at the table's real ``StreamArn``."""
    table = settings.table_name(table_suffix)
    return f"arn:aws:dynamodb:{settings.aws_region}:123456789012:table/{table}/stream/local"


def table_of_stream_arn(arn: str) -> str:
    """The table name inside a stream ARN (real or placeholder)."""
    return arn.split(":table/", 1)[1].split("/stream/", 1)[0]


def process_stream_batch(event: Any, record_handler: Callable[[Any], Any]) -> dict[str, Any]:
    """Run ``record_handler`` on each stream record (Powertools ``DynamoDBRecord``); failures
    are reported one by one (``ReportBatchItemFailures``) so a bad record never repeats its neighbours."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return dict(
        process_partial_response(
            event=raw, record_handler=record_handler, processor=BatchProcessor(EventType.DynamoDBStreams)
        )
    )


def process_queue_batch(event: Any, record_handler: Callable[[Any], Any]) -> dict[str, Any]:
    """The same for SQS records (Powertools ``SQSRecord``)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return dict(
        process_partial_response(event=raw, record_handler=record_handler, processor=BatchProcessor(EventType.SQS))
    )


def all_functions() -> list[LambdaFunction]:
    """Every declared function, family by family."""
    found: list[LambdaFunction] = []
    for family in FAMILIES:
        module = importlib.import_module(f"chalicelib.functions.{family}")
        found.extend(module.FUNCTIONS)
    return found


def _attach(app: Chalice, settings: Settings, function: LambdaFunction) -> None:
    def handler(event: Any) -> Any:
        return function.body(settings, event)

    handler.__name__ = function.name
    trigger = function.trigger
    if isinstance(trigger, Stream):
        app.on_dynamodb_record(
            stream_arn=stream_arn(settings, trigger.table),
            batch_size=trigger.batch_size,
            starting_position=trigger.starting_position,
            name=function.name,
        )(handler)
    elif isinstance(trigger, Queue):
        app.on_sqs_message(queue=settings.queue_name(trigger.queue), batch_size=trigger.batch_size, name=function.name)(
            handler
        )
    else:
        app.schedule(trigger.expression, name=function.name, description=trigger.description)(handler)


def register_functions(app: Chalice, settings: Settings) -> None:
    """Attach every declared function to ``app``."""
    for function in all_functions():
        _attach(app, settings, function)
