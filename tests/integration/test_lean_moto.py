"""The embedded AWS holds a surge (issue 18): transactions copy only what they touch and
roll back exactly; shard iterators expire; stream records are trimmed once read."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts import lean_moto


@pytest.fixture
def ddb(moto_server):
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    client = boto3.client("dynamodb", endpoint_url=moto_server, region_name="cn-north-1")
    client.create_table(
        TableName="lean",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    streams = boto3.client("dynamodbstreams", endpoint_url=moto_server, region_name="cn-north-1")
    arn = client.describe_table(TableName="lean")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return client, streams, arn, shard


def _put(pk, sk, n):
    return {"Put": {"TableName": "lean", "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(n)}}}}


def _all(client):
    return {(i["pk"]["S"], i["sk"]["S"]): i["n"]["N"] for i in client.scan(TableName="lean")["Items"]}


def _records(streams, arn, shard, **position):
    kind = (
        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", **position}
        if position
        else {"ShardIteratorType": "TRIM_HORIZON"}
    )
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **kind)["ShardIterator"]
    out = []
    while True:
        got = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not got["Records"]:
            return out
        out += got["Records"]
        iterator = got["NextShardIterator"]


def test_a_failed_transaction_puts_back_exactly_what_it_touched_and_its_stream_records(ddb):
    client, streams, arn, shard = ddb
    client.transact_write_items(TransactItems=[_put("a", "1", 1), _put("a", "2", 2)])
    reader = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    with pytest.raises(ClientError) as err:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "lean",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "10"}},
                    }
                },
                _put("b", "1", 3),  # a new item: must vanish again
                {
                    "ConditionCheck": {
                        "TableName": "lean",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "2"}},
                        "ConditionExpression": "n = :x",
                        "ExpressionAttributeValues": {":x": {"N": "99"}},
                    }
                },
            ]
        )
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _all(client) == {("a", "1"): "1", ("a", "2"): "2"}
    # The rollback wrote nothing to the stream, and an iterator taken before it still sees what follows
    client.put_item(TableName="lean", Item={"pk": {"S": "c"}, "sk": {"S": "1"}, "n": {"N": "4"}})
    seen = streams.get_records(ShardIterator=reader)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in seen] == [("INSERT", "c")]
    assert [r["eventName"] for r in _records(streams, arn, shard)] == ["INSERT", "INSERT", "INSERT"]


def test_stream_records_read_by_every_reader_are_trimmed_and_sequence_numbers_go_on(ddb, monkeypatch):
    client, streams, arn, shard = ddb
    monkeypatch.setattr(lean_moto, "KEEP_RECORDS", 10)
    for i in range(60):
        client.put_item(TableName="lean", Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "n": {"N": str(i)}})
    first = _records(streams, arn, shard)
    assert len(first) == 60
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dynamodbstreams_backends["123456789012"]["cn-north-1"].housekept_at = 0.0
    _records(streams, arn, shard, SequenceNumber=first[-1]["dynamodb"]["SequenceNumber"])  # housekeeping runs
    stream_shard = dynamodb_backends["123456789012"]["cn-north-1"].tables["lean"].stream_shard
    assert len(stream_shard.items) == 10  # 50 read by every live iterator are gone
    client.put_item(TableName="lean", Item={"pk": {"S": "late"}, "sk": {"S": "s"}, "n": {"N": "0"}})
    after = _records(streams, arn, shard, SequenceNumber=first[-1]["dynamodb"]["SequenceNumber"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["late"]
    assert int(after[0]["dynamodb"]["SequenceNumber"]) == int(first[-1]["dynamodb"]["SequenceNumber"]) + 1
    # A reader from the trim horizon starts at the oldest record kept
    horizon = _records(streams, arn, shard)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in horizon] == [f"p{i}" for i in range(50, 60)] + ["late"]


def test_unused_shard_iterators_expire(ddb, monkeypatch):
    client, streams, arn, shard = ddb
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    backend = dynamodbstreams_backends["123456789012"]["cn-north-1"]
    for _ in range(20):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert len(backend.shard_iterators) >= 20
    monkeypatch.setattr(lean_moto, "ITERATOR_TTL", 0.0)
    monkeypatch.setattr(lean_moto, "READ_ITERATOR_TTL", 0.0)
    backend.housekept_at = 0.0
    streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert len(backend.shard_iterators) <= 1
