"""BatchGetItem and BatchWriteItem for the import worker, with unprocessed items
retried (exponential backoff and jitter)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from botocore.config import Config
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from chalicelib.config import Settings

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100


class UnprocessedItems(Exception):
    """BatchWriteItem left items unprocessed (throttling); retried with backoff."""


@functools.cache
def _dynamodb(settings: Settings) -> Any:
    """The import worker's DynamoDB client. botocore's client-side parameter validation is
    off: the requests are built here, and validating 25 items per call costs more CPU than
    the rest of the worker's per-row work (the service still validates everything)."""
    import boto3  # noqa: PLC0415

    config = Config(retries={"mode": "standard", "max_attempts": 8}, parameter_validation=False)
    return boto3.client(
        "dynamodb", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=config
    )


def _retrying() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(UnprocessedItems),
        wait=wait_exponential_jitter(initial=0.05, max=5),
        stop=stop_after_attempt(10),
        reraise=True,
    )


def batch_get(settings: Settings, table: str, keys: list[dict[str, Any]], *, projection: str) -> list[dict[str, Any]]:
    """The items (DynamoDB JSON) of those ``keys`` that exist, read consistently, 100 keys a call."""
    client = _dynamodb(settings)
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table: {
                "Keys": keys[start : start + BATCH_GET_LIMIT],
                "ConsistentRead": True,
                "ProjectionExpression": projection,
            }
        }
        for attempt in _retrying():
            with attempt:
                response = client.batch_get_item(RequestItems=request)
                found.extend(response.get("Responses", {}).get(table, []))
                unprocessed = response.get("UnprocessedKeys", {})
                if unprocessed:
                    request = unprocessed
                    raise UnprocessedItems(f"{len(unprocessed[table]['Keys'])} keys unprocessed")
    return found


def batch_put(settings: Settings, table: str, items: Iterable[dict[str, Any]]) -> int:
    """Write ``items`` (DynamoDB JSON) with BatchWriteItem, 25 at a time, retrying
    UnprocessedItems with exponential backoff and jitter. Returns the count written."""
    client = _dynamodb(settings)
    written = 0
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == BATCH_WRITE_LIMIT:
            written += _write_batch(client, table, batch)
            batch = []
    if batch:
        written += _write_batch(client, table, batch)
    return written


def _write_batch(client: Any, table: str, batch: list[dict[str, Any]]) -> int:
    pending = batch
    for attempt in _retrying():
        with attempt:
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if pending:
                raise UnprocessedItems(f"{len(pending)} items unprocessed")
    return len(batch)
