"""The search index in DynamoDB: an inverted index read with Query and BatchGetItem only.

One table, four kinds of items (``pk``, ``sk``); none grows with the number of projects
(each is about one project, or one project under one term), so the 400 KB item limit
is never approached however large the platform gets (``tests/unit/test_search_items.py``
builds the items of 1,000,000 projects of one status):

* **postings** ``("<status>|t:<term>#b07", "<project_id>")`` and
  ``("<status>|f:<facet>#b07", "<project_id>")``: one small item per project
  and term (``w`` = ``t`` title / ``b`` body only) or filter value (``w`` = ``f``),
  carrying the project's ``created_at`` (``c``, immutable) so relevance and
  newest orders need nothing else. A term's postings are spread over
  ``BUCKETS`` partition keys by a hash of the project id, as counters are.
* **columns** ``("<status>|col:<name>#b07", "<value>#<project_id>")``: one
  key-only item per searchable project and sort order (``created``,
  ``end``, ``raised`` = ``<raised:020d>#<created>``): the sort key carries
  the value, so a listing is one short Query per bucket in order (merged),
  never a read of every project.
* **counts** ``("<status>|count", "b07")``: how many projects of the status each
  bucket holds (a listing's ``total``), changed in the same transaction as the card.
* **cards** ``("card|<project_id>", "card")``: what a result shows, plus the
  terms and facets the project is indexed under (so the indexer can diff an
  edit against what is really in the index, not against a stream's old image).

A card, its columns and its count move together in one transaction conditioned on
the card as it was read (``swap_card``): a raised-amount refresh is that transaction
on three small items (card, old ``raised`` column entry, new one), and two racing
writers cannot leave a stale column entry behind. Postings are plain puts and
deletes (idempotent) written before the card.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client
from chalicelib.dal.conditions import condition_failed, transaction_conflict
from chalicelib.dal.search_items import (
    CARD_SK,
    SearchIndexModel,
    all_buckets,
    bucket_of,
    card_pk,
    column_keys,
    column_pk,
    count_pk,
    decode_card,
    encode_card,
    indexed,
    key_item,
    posting_item,
    posting_pk,
)
from chalicelib.threads import map_in_context

_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="search")


class CardChanged(Exception):
    """The card changed since it was read (another writer won): read it again and retry."""


class SearchStore:
    """Reads and writes of the search table for one stage."""

    def __init__(self, settings: Settings, client: Any = None):
        self.client = client or aws_client(settings, "dynamodb")

    @property
    def table(self) -> str:
        return str(SearchIndexModel.Meta.table_name)

    # -- cards, columns and counts (one transaction) ------------------------------
    def get_card(self, project_id: str) -> dict[str, Any] | None:
        got = self.client.get_item(
            TableName=self.table, Key=key_item(card_pk(project_id), CARD_SK), ConsistentRead=True
        )
        return decode_card(got["Item"]) if "Item" in got else None

    def cards(self, project_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Cards by id (BatchGetItem, 100 keys a call; unprocessed keys retried)."""
        ids = list(dict.fromkeys(project_ids))
        chunks = [[key_item(card_pk(i), CARD_SK) for i in ids[n : n + 100]] for n in range(0, len(ids), 100)]
        found: dict[str, dict[str, Any]] = {}
        for items in map_in_context(_POOL, self._batch_get_keys, chunks):
            for item in items:
                card = decode_card(item)
                found[card["project_id"]] = card
        return found

    def swap_card(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        """Replace ``old`` (as read; ``None`` = no card yet) by ``new``, moving the project's
        column entries and its status count with it, atomically; ``CardChanged`` when the
        card is no longer ``old`` (a racing writer: read again, retry)."""
        version = int(old.get("ver") or 0) if old else 0
        card_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": encode_card({**new, "ver": version + 1}),
        }
        if old is None:
            card_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            card_put["ConditionExpression"] = "ver = :v" if version else "attribute_not_exists(ver) OR ver = :v"
            card_put["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
        actions: list[dict[str, Any]] = [{"Put": card_put}]
        before, after = set(column_keys(old or {})), set(column_keys(new))
        actions += [{"Delete": {"TableName": self.table, "Key": key_item(*k)}} for k in sorted(before - after)]
        actions += [{"Put": {"TableName": self.table, "Item": key_item(*k)}} for k in sorted(after - before)]
        was = old["status"] if old is not None and indexed(old) else None
        now = new["status"] if indexed(new) else None
        if was != now:
            bucket = bucket_of(new["project_id"])
            for status, delta in ((was, -1), (now, 1)):
                if status is not None:
                    actions.append(
                        {
                            "Update": {
                                "TableName": self.table,
                                "Key": key_item(count_pk(status), bucket),
                                "UpdateExpression": "ADD n :d",
                                "ExpressionAttributeValues": {":d": {"N": str(delta)}},
                            }
                        }
                    )
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if condition_failed(exc) or transaction_conflict(exc):
                raise CardChanged(new["project_id"]) from exc
            raise

    def count(self, status: str) -> int:
        """Projects of ``status`` in the index (the sum of its per-bucket counts)."""
        items = self._batch_get_keys([key_item(count_pk(status), b) for b in all_buckets()])
        return sum(int(i["n"]["N"]) for i in items if "n" in i)

    # -- postings ------------------------------------------------------------------
    def change_postings(
        self,
        project_id: str,
        created: str,
        old: dict[tuple[str, str], str],
        new: dict[tuple[str, str], str],
    ) -> None:
        """Go from postings ``old`` to ``new`` (``(status, key) -> where``) for one project:
        puts of the added or changed ones, deletes of the gone ones (BatchWriteItem, 25 a
        call, in parallel). Puts and deletes are idempotent, so a replay or a retry after a
        partial failure converges on the same postings."""
        bucket = bucket_of(project_id)
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": posting_item(status, key, project_id, where, created, bucket)}}
            for (status, key), where in sorted(new.items())
            if old.get((status, key)) != where
        ]
        requests += [
            {"DeleteRequest": {"Key": key_item(posting_pk(status, key, bucket), project_id)}}
            for (status, key) in sorted(old.keys() - new.keys())
        ]
        list(map_in_context(_POOL, self._batch_write, [requests[n : n + 25] for n in range(0, len(requests), 25)]))

    def postings(self, status: str, keys: list[str]) -> list[dict[str, tuple[str, str]]]:
        """For each term or facet key: ``project_id -> (where, created)`` over all its buckets
        (one paged Query per bucket, in parallel)."""
        pks = [posting_pk(status, key, b) for key in keys for b in all_buckets()]
        found = dict(zip(pks, map_in_context(_POOL, self._query_all, pks), strict=True))
        result = []
        for key in keys:
            merged: dict[str, tuple[str, str]] = {}
            for b in all_buckets():
                for item in found[posting_pk(status, key, b)]:
                    merged[item["sk"]["S"]] = (item["w"]["S"], item["c"]["S"])
            result.append(merged)
        return result

    # -- walking a column in order ---------------------------------------------------
    def walk_column(
        self, status: str, name: str, *, descending: bool, after: str | None, page_size: int
    ) -> Iterator[str]:
        """Column sort keys of ``status`` in order (across buckets), strictly after ``after``:
        one Query of ``page_size`` per bucket to start (in parallel), further pages as the
        merge consumes them. Reads grow with what the caller consumes, not with the column."""

        def pages(bucket: str, first: tuple[list[str], Any]) -> Iterator[str]:
            keys, last = first
            while True:
                yield from keys
                if not last:
                    return
                keys, last = self._column_page(status, name, bucket, descending, after, page_size, last)

        firsts = list(
            map_in_context(
                _POOL, lambda b: self._column_page(status, name, b, descending, after, page_size, None), all_buckets()
            )
        )
        streams = [pages(b, first) for b, first in zip(all_buckets(), firsts, strict=True)]
        return heapq.merge(*streams, reverse=descending)

    def _column_page(
        self, status: str, name: str, bucket: str, descending: bool, after: str | None, limit: int, start: Any
    ) -> tuple[list[str], Any]:
        values: dict[str, Any] = {":pk": {"S": column_pk(status, name, bucket)}}
        condition = "pk = :pk"
        if after is not None:
            condition += " AND sk < :after" if descending else " AND sk > :after"
            values[":after"] = {"S": after}
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not descending,
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        got = self.client.query(**kwargs)
        return [item["sk"]["S"] for item in got.get("Items", [])], got.get("LastEvaluatedKey")

    # -- low-level ---------------------------------------------------------------------
    def _query_all(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
        }
        while True:
            got = self.client.query(**kwargs)
            items += got.get("Items", [])
            if not got.get("LastEvaluatedKey"):
                return items
            kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def _batch_get_keys(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self.table: {"Keys": keys}}
        items: list[dict[str, Any]] = []
        while request:
            got = self.client.batch_get_item(RequestItems=request)
            items.extend(got["Responses"].get(self.table, []))
            request = got.get("UnprocessedKeys") or {}
        return items

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        request: dict[str, Any] = {self.table: requests}
        while request:
            request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    # -- bulk load (benchmarks, rebuilds) -----------------------------------------------
    def write_items(self, items: Iterable[dict[str, Any]]) -> None:
        """BatchWriteItem puts (25 a call, unprocessed items retried)."""
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == 25:
                self._batch_write(batch)
                batch = []
        if batch:
            self._batch_write(batch)
