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
    def __init__(self) -> None:
        import boto3

        import app as chalice_app
        from chalicelib.config import get_settings

        self.app = chalice_app.app
        self.settings = get_settings()
        endpoint = dict(region_name=self.settings.aws_region, endpoint_url=self.settings.aws_endpoint_url)
        self.sqs = boto3.client("sqs", **endpoint)
        self.ddb = boto3.client("dynamodb", **endpoint)
        self.streams = boto3.client("dynamodbstreams", **endpoint)
        self._iterators: dict[str, str] = {}
        self._last_seen: dict[str, str] = {}  # sequence number of the last record delivered, per handler and shard

    def _iterator(self, stream_arn: str, shard_id: str, after: str | None) -> str:
        if after is None:
            args = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            args = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        return str(self.streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **args)["ShardIterator"])

    def sources(self, kind: str) -> list[Any]:
        return [s for s in self.app.event_sources if type(s).__name__ == kind]

    def pump_queues(self) -> int:
        delivered = 0
        for source in self.sources("SQSEventConfig"):
            name = source.queue or source.queue_arn.rsplit(":", 1)[-1]
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
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
            stream_arn = self.ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
            if not stream_arn:
                continue
            shards = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                # One iterator per handler: two functions may consume the same stream.
                key = f"{source.name}/{stream_arn}/{shard['ShardId']}"
                if key not in self._iterators:
                    self._iterators[key] = self._iterator(stream_arn, shard["ShardId"], self._last_seen.get(key))
                got = self.streams.get_records(ShardIterator=self._iterators[key], Limit=source.batch_size)
                records = got.get("Records", [])
                if not records:
                    # moto swaps in a copy of a table (and its stream) when it rolls back a failed
                    # transaction; iterators on the old copy never see new records. Idle: start a
                    # fresh iterator after the last record delivered on the next poll.
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


if __name__ == "__main__":
    Pump().run_forever(ready_file=os.environ.get("GONGYI_PUMP_READY_FILE"))
