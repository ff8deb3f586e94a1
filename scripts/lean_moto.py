"""moto, made to hold a surge: what the embedded AWS patches in before it serves.

moto 5 keeps every DynamoDB table in memory, which is what a local stack wants,
but three of its habits make memory and time grow with everything ever written:

1. ``transact_write_items`` deep-copies every table a transaction touches (all its
   items, and its stream with every record ever written) so it can roll back.
   A gift's payment transaction touches the donations and counters tables: each
   transaction costs O(table + stream), and a surge is quadratic.
   Here a transaction snapshots only the items it names and, on failure, puts them
   back and cuts the stream records it wrote: O(items touched).
2. Every ``GetShardIterator`` and ``GetRecords`` call registers a new shard iterator
   that is never forgotten; each holds its stream shard (and, after a rollback
   swapped tables, a whole old copy of the table). Here an iterator unused for
   ``ITERATOR_TTL`` seconds expires, as in AWS.
3. Stream records are never trimmed (AWS keeps 24 hours). Here a shard drops the
   records that every live reader has moved past, but for the last ``KEEP_RECORDS``
   before the slowest; sequence numbers are unchanged. A reader that asks for a
   trimmed position is served from the trim horizon, as TRIM_HORIZON would.

``install()`` is idempotent; the moto server of the local stack and of the
integration tests call it.
"""

from __future__ import annotations

import copy
import time
import types
from typing import Any

ITERATOR_TTL = 900.0  # AWS: a shard iterator expires 15 minutes after it is returned
READ_ITERATOR_TTL = 60.0  # one already read from: kept a minute, for a reader re-reading a failed batch
KEEP_RECORDS = 1_000

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _lean_transactions()
    _bounded_streams()


# -- 1. transactions that copy only what they touch -----------------------------------------------


def _lean_transactions() -> None:
    import moto.dynamodb.models as ddb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    real_deepcopy = copy.deepcopy

    def deepcopy(obj: Any, memo: Any = None) -> Any:
        # moto's own backup of a whole table: a no-op; ``transact`` below keeps what matters.
        return obj if isinstance(obj, Table) else real_deepcopy(obj, memo)

    ddb_models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[assignment]
    original = DynamoDBBackend.transact_write_items

    def _key(table: Table, op_type: str, op: dict[str, Any]) -> tuple[Any, Any]:
        attrs = op["Item"] if op_type == "Put" else op["Key"]
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        return hash_value, range_value

    def transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        before: list[tuple[Table, Any, Any, Any]] = []
        stream_marks: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.tables[op["TableName"]]
                hash_value, range_value = _key(table, op_type, op)
            except (KeyError, StopIteration, TypeError, AttributeError):
                continue  # moto's own validation answers for it
            current = table.get_item(hash_value, range_value)
            before.append((table, hash_value, range_value, real_deepcopy(current)))
            shard = table.stream_shard
            if shard is not None and id(shard) not in stream_marks:
                stream_marks[id(shard)] = (shard, len(shard.items))
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, item in reversed(before):
                _put_back(table, hash_value, range_value, item)
            for shard, length in stream_marks.values():
                del shard.items[length:]
            raise

    DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]


def _put_back(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    if range_value is not None:
        bucket = table.items[hash_value]
        if item is None:
            bucket.pop(range_value, None)
            if not bucket:
                table.items.pop(hash_value, None)
        else:
            bucket[range_value] = item
    elif item is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = item


# -- 2 and 3. iterators that expire, streams that are trimmed -------------------------------------


def _bounded_streams() -> None:
    import moto.dynamodbstreams.models as streams_models
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    def add(self: StreamShard, old: Any, new: Any) -> None:
        view = self.table.stream_specification["StreamViewType"]  # type: ignore[index]
        event_name = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
        seq = _next_seq(self)
        self.items.append(StreamRecord(self.table, view, event_name, old, new, seq))

    def get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
        index = max(0, start - self.starting_sequence_number - _trimmed(self))
        return [record.to_json() for record in self.items[index : index + quantity]]

    StreamShard.add = add  # type: ignore[method-assign]
    StreamShard.get = get  # type: ignore[method-assign]

    ShardIterator = streams_models.ShardIterator
    Backend = streams_models.DynamoDBStreamsBackend
    original_init = ShardIterator.__init__

    def init(
        self: Any, streams_backend: Any, stream_shard: Any, shard_iterator_type: str, sequence_number: Any = None
    ) -> None:
        original_init(self, streams_backend, stream_shard, shard_iterator_type, sequence_number)
        if shard_iterator_type == "LATEST":
            self.sequence_number = _next_seq(stream_shard)
        elif shard_iterator_type == "TRIM_HORIZON":
            self.sequence_number = stream_shard.starting_sequence_number + _trimmed(stream_shard)
        self.sequence_number = int(self.sequence_number)
        self.used_at = time.monotonic()

    ShardIterator.__init__ = init  # type: ignore[method-assign]
    original_get_records = Backend.get_records
    original_get_shard_iterator = Backend.get_shard_iterator

    def get_records(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
        iterator = self.shard_iterators.get(iterator_arn)
        if iterator is not None:
            iterator.used_at = time.monotonic()
            iterator.consumed = True  # its reader moves on with NextShardIterator
        result = original_get_records(self, iterator_arn, limit)
        _housekeeping(self)
        return result  # type: ignore[no-any-return]

    def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
        iterator = original_get_shard_iterator(self, *args, **kwargs)
        _housekeeping(self)
        return iterator

    Backend.get_records = get_records  # type: ignore[method-assign]
    Backend.get_shard_iterator = get_shard_iterator  # type: ignore[method-assign]


def _trimmed(shard: Any) -> int:
    return int(getattr(shard, "trimmed", 0))


def _next_seq(shard: Any) -> int:
    return int(shard.starting_sequence_number) + _trimmed(shard) + len(shard.items)


def _housekeeping(backend: Any) -> None:
    """At most once a second: forget iterators unused for ITERATOR_TTL, and trim every shard
    to KEEP_RECORDS behind its slowest live reader (an iterator not yet read from: one that
    was read from has been superseded by its NextShardIterator; a reader that re-reads a
    failed batch with it finds the batch among the KEEP_RECORDS kept)."""
    now = time.monotonic()
    if now - getattr(backend, "housekept_at", 0.0) < 1.0:
        return
    backend.housekept_at = now
    iterators: dict[str, Any] = backend.shard_iterators
    slowest: dict[int, tuple[Any, int]] = {}
    for arn, iterator in list(iterators.items()):
        ttl = READ_ITERATOR_TTL if getattr(iterator, "consumed", False) else ITERATOR_TTL
        if now - getattr(iterator, "used_at", 0.0) > ttl:
            del iterators[arn]
            continue
        if getattr(iterator, "consumed", False):
            continue
        shard = iterator.stream_shard
        position = int(iterator.sequence_number)
        if id(shard) not in slowest or position < slowest[id(shard)][1]:
            slowest[id(shard)] = (shard, position)
    for shard, position in slowest.values():
        read = min(position - shard.starting_sequence_number - _trimmed(shard), len(shard.items))
        drop = read - KEEP_RECORDS  # keep some behind the slowest reader: a re-read batch is still there
        if drop > 0:
            del shard.items[:drop]
            shard.trimmed = _trimmed(shard) + drop
