"""Deliver the local stack's events to gongyi's event handlers, as Lambda would.

``chalice local`` serves HTTP only. This pump polls every SQS queue and every
DynamoDB stream that the app subscribes to (found in ``app.event_sources``)
on the embedded AWS, builds the event Lambda would receive and calls the
handler. Messages a handler fails are left for redelivery, like Lambda.
Run with the local stage's environment (``make run`` does).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class _Context:
    function_name = "local-worker"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:cn-north-1:123456789012:function:local-worker"
    aws_request_id = "local"
    log_group_name = "local"
    log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def sqs_event(queue_arn: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "cn-north-1",
            }
            for m in messages
        ]
    }


class Pump:
    """``only``/``skip``: names of the functions this pump delivers to (or not); the local stack
    runs the 三证 renderer in a pump of its own, on the other core."""

    def __init__(self, only: set[str] | None = None, skip: set[str] | None = None) -> None:
        import boto3

        import app as chalice_app
        from chalicelib.config import get_settings

        self.app = chalice_app.app
        self.settings = get_settings()
        endpoint = dict(region_name=self.settings.aws_region, endpoint_url=self.settings.aws_endpoint_url)
        self.sqs = boto3.client("sqs", **endpoint)
        self.ddb = boto3.client("dynamodb", **endpoint)
        self.streams = boto3.client("dynamodbstreams", **endpoint)
        self.only, self.skip = only, skip or set()
        self._iterators: dict[str, str] = {}
        self._queues: dict[str, tuple[str, str]] = {}  # queue name -> (url, arn)
        self._streams: dict[str, tuple[float, str | None, list[str]]] = {}  # table -> (when, arn, shard ids)
        self._last_seen: dict[str, str] = {}  # sequence number of the last record delivered, per handler and shard

    def _iterator(self, stream_arn: str, shard_id: str, after: str | None) -> str:
        if after is None:
            args = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            args = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        return str(self.streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **args)["ShardIterator"])

    def sources(self, kind: str) -> list[Any]:
        return [
            s
            for s in self.app.event_sources
            if type(s).__name__ == kind and (self.only is None or s.name in self.only) and s.name not in self.skip
        ]

    def _queue(self, name: str) -> tuple[str, str]:
        if name not in self._queues:
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
            self._queues[name] = (url, attributes["QueueArn"])
        return self._queues[name]

    def _stream(self, table: str) -> tuple[str | None, list[str]]:
        """The table's stream and shards, looked up at most every 30 s (not on every poll: the
        embedded AWS serves one request at a time)."""
        cached = self._streams.get(table)
        if cached is None or time.monotonic() - cached[0] > 30:
            arn = self.ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
            shards = (
                [s["ShardId"] for s in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]]
                if arn
                else []
            )
            cached = self._streams[table] = (time.monotonic(), arn, shards)
        return cached[1], cached[2]

    def pump_queues(self) -> int:
        delivered = 0
        for source in self.sources("SQSEventConfig"):
            name = source.queue or source.queue_arn.rsplit(":", 1)[-1]
            url, arn = self._queue(name)
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=min(10, source.batch_size), AttributeNames=["All"]
            )
            messages = got.get("Messages", [])
            if not messages:
                continue
            result = self.app.handler_map[source.name](sqs_event(arn, messages), _Context()) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            for m in messages:
                if m["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    delivered += 1
        return delivered

    def pump_streams(self) -> int:
        delivered = 0
        for source in self.sources("DynamoDBEventConfig"):
            table = source.stream_arn.split(":table/")[-1].split("/")[0]
            stream_arn, shard_ids = self._stream(table)
            if not stream_arn:
                continue
            for shard_id in shard_ids:
                # One iterator per handler: two functions may consume the same stream.
                key = f"{source.name}/{stream_arn}/{shard_id}"
                if key not in self._iterators:
                    self._iterators[key] = self._iterator(stream_arn, shard_id, self._last_seen.get(key))
                got = self.streams.get_records(ShardIterator=self._iterators[key], Limit=source.batch_size)
                records = got.get("Records", [])
                if not records:
                    # Keep polling with the iterator moto hands back (the embedded AWS no longer swaps
                    # a table's stream on a rollback: scripts/lean_moto.py).
                    if got.get("NextShardIterator"):
                        self._iterators[key] = got["NextShardIterator"]
                    else:
                        del self._iterators[key]
                    continue
                for r in records:
                    r["eventSourceARN"] = stream_arn
                    r["dynamodb"].pop("ApproximateCreationDateTime", None)
                event = json.loads(json.dumps({"Records": records}, default=str))
                self.app.handler_map[source.name](event, _Context())
                delivered += len(records)
                self._last_seen[key] = records[-1]["dynamodb"]["SequenceNumber"]
                if got.get("NextShardIterator"):
                    self._iterators[key] = got["NextShardIterator"]
                else:
                    del self._iterators[key]
        return delivered

    def run_once(self) -> int:
        return self.pump_queues() + self.pump_streams()

    def run_forever(self, idle_sleep: float = 0.2, ready_file: str | None = None) -> None:
        """Pump until killed; touch ``ready_file`` after the first pass that found nothing to
        deliver (everything written before the pump started, the search index included, is in)."""
        while True:
            try:
                if not self.run_once():
                    if ready_file:
                        Path(ready_file).touch()
                        ready_file = None
                    time.sleep(idle_sleep)
            except Exception as exc:  # noqa: BLE001 - keep pumping; Lambda would retry too
                print(f"local worker: {type(exc).__name__}: {exc}", file=sys.stderr)
                time.sleep(1)


def _names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    return {name for name in value.split(",") if name} if value else None


if __name__ == "__main__":
    Pump(only=_names("GONGYI_PUMP_ONLY"), skip=_names("GONGYI_PUMP_SKIP")).run_forever(
        ready_file=os.environ.get("GONGYI_PUMP_READY_FILE")
    )
