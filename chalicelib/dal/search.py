"""The search index in DynamoDB: an inverted index read with Query and BatchGetItem only.

One table, three kinds of items (``pk``, ``sk``):

* **postings** ``("<status>|t:<term>", "b07")`` and ``("<status>|f:<facet>", "b07")``:
  the ids of the projects of one status that contain a term (string sets
  ``title`` and ``body``) or carry a filter value (``ids``; ``f:*`` holds every
  project of the status). A project lives in one of ``BUCKETS`` items of each
  of its terms (by a hash of its id), so a hot term such as ``中国`` or ``2``
  is ``BUCKETS`` items of at most ~1/16 of the ids each: no item nears the
  400 KB limit, and the index adds or removes an id with one atomic
  ``ADD``/``DELETE`` on a set: no read-modify-write, no lost update.
* **columns** ``("<status>|col:<name>", "b07")``: one attribute per project
  (its id) holding a sort value (``created``, ``end``, ``raised``), so ranking
  thousands of candidates costs one Query instead of thousands of reads.
* **cards** ``("card|<project_id>", "card")``: what a result shows, plus the
  terms and facets the project is indexed under (so the indexer can diff an
  edit against what is really in the index, not against a stream's old image).

A search reads the buckets of its terms by key (BatchGetItem: the bucket names are a
fixed set, so no Query is even needed) and cards by key; nothing ever scans.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client
from chalicelib.dal.base import GongyiModel

BUCKETS = 16
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="search")


class SearchIndexModel(GongyiModel):
    """Table definition only (keys); items are read and written with the low-level
    client below because postings and columns use dynamic attribute names and sets."""

    table_suffix = "search-index"

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def bucket_of(project_id: str) -> str:
    digest = hashlib.blake2b(project_id.encode(), digest_size=2).digest()
    return f"b{int.from_bytes(digest, 'big') % BUCKETS:02d}"


def posting_pk(status: str, key: str) -> str:
    return f"{status}|{key}"


def column_pk(status: str, name: str) -> str:
    return f"{status}|col:{name}"


def card_pk(project_id: str) -> str:
    return f"card|{project_id}"


CARD_SK = "card"
_STRING_FIELDS = (
    "project_id", "status", "title", "summary", "category", "province", "city", "org_id",
    "created_at", "updated_at", "start_date", "end_date", "end_at", "cover_image_key",
)  # fmt: skip
_NUMBER_FIELDS = ("target_fen", "raised_fen")
_SET_FIELDS = ("campaign_ids", "title_terms", "body_terms", "facets")


def encode_card(card: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a card."""
    item: dict[str, Any] = {"pk": {"S": card_pk(card["project_id"])}, "sk": {"S": CARD_SK}}
    for name in _STRING_FIELDS:
        if card.get(name) is not None:
            item[name] = {"S": str(card[name])}
    for name in _NUMBER_FIELDS:
        item[name] = {"N": str(int(card.get(name) or 0))}
    for name in _SET_FIELDS:
        values = sorted(card.get(name) or ())
        if values:  # DynamoDB sets cannot be empty
            item[name] = {"SS": values}
    return item


def _encode_value(value: str | int) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def posting_item(status: str, key: str, bucket: str, sets: dict[str, set[str]]) -> dict[str, Any]:
    """The stored form of one bucket of a term's or facet's postings (for bulk loads)."""
    item: dict[str, Any] = {"pk": {"S": posting_pk(status, key)}, "sk": {"S": bucket}}
    return {**item, **{name: {"SS": sorted(ids)} for name, ids in sets.items()}}


def column_item(status: str, name: str, bucket: str, values: dict[str, str | int]) -> dict[str, Any]:
    """The stored form of one bucket of a sort column, ``project_id -> value`` (for bulk loads)."""
    item: dict[str, Any] = {"pk": {"S": column_pk(status, name)}, "sk": {"S": bucket}}
    return {**item, **{pid: _encode_value(value) for pid, value in values.items()}}


def _decode_card(item: dict[str, Any]) -> dict[str, Any]:
    card: dict[str, Any] = {name: item[name]["S"] for name in _STRING_FIELDS if name in item}
    for name in _NUMBER_FIELDS:
        card[name] = int(item[name]["N"]) if name in item else 0
    for name in _SET_FIELDS:
        card[name] = set(item[name]["SS"]) if name in item else set()
    return card


class SearchStore:
    """Reads and writes of the search table for one stage."""

    def __init__(self, settings: Settings):
        self.client = aws_client(settings, "dynamodb")

    @property
    def table(self) -> str:
        return str(SearchIndexModel.Meta.table_name)

    # -- cards -------------------------------------------------------------
    def get_card(self, project_id: str) -> dict[str, Any] | None:
        got = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": card_pk(project_id)}, "sk": {"S": CARD_SK}}, ConsistentRead=True
        )
        return _decode_card(got["Item"]) if "Item" in got else None

    def put_card(self, card: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.table, Item=encode_card(card))

    def cards(self, project_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Cards by id (BatchGetItem, 100 keys a call; unprocessed keys retried)."""
        ids = list(dict.fromkeys(project_ids))
        chunks = [ids[i : i + 100] for i in range(0, len(ids), 100)]
        found: dict[str, dict[str, Any]] = {}
        for items in _POOL.map(self._batch_get, chunks):
            for item in items:
                card = _decode_card(item)
                found[card["project_id"]] = card
        return found

    def _batch_get(self, ids: list[str]) -> list[dict[str, Any]]:
        return self._batch_get_keys([{"pk": {"S": card_pk(i)}, "sk": {"S": CARD_SK}} for i in ids])

    def _batch_get_keys(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self.table: {"Keys": keys}}
        items: list[dict[str, Any]] = []
        while request:
            got = self.client.batch_get_item(RequestItems=request)
            items.extend(got["Responses"].get(self.table, []))
            request = got.get("UnprocessedKeys") or {}
        return items

    def set_raised(self, project_id: str, status: str, raised_fen: int) -> None:
        """Record a project's amount raised on its card and in its status's ``raised`` column."""
        self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": card_pk(project_id)}, "sk": {"S": CARD_SK}},
            UpdateExpression="SET raised_fen = :r",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":r": {"N": str(raised_fen)}},
        )
        self.set_columns(status, project_id, {"raised": raised_fen})

    # -- postings ------------------------------------------------------------
    def change_postings(self, project_id: str, changes: list[tuple[str, str, str, bool]]) -> None:
        """Apply ``(status, key, set_name, add)`` changes for one project: one UpdateItem per
        posting item (its ``ADD``s and ``DELETE``s together), items in parallel.

        Adding or deleting an id in a set is idempotent, so a replayed stream record or a
        retried batch leaves the same index; no read-modify-write, no lost update."""
        bucket = bucket_of(project_id)
        by_item: dict[tuple[str, str], list[tuple[str, bool]]] = {}
        for status, key, set_name, add in changes:
            by_item.setdefault((status, key), []).append((set_name, add))

        def apply(item: tuple[tuple[str, str], list[tuple[str, bool]]]) -> None:
            (status, key), sets = item
            names = {f"#s{n}": set_name for n, (set_name, _) in enumerate(sets)}
            added = [f"#s{n} :id" for n, (_, add) in enumerate(sets) if add]
            deleted = [f"#s{n} :id" for n, (_, add) in enumerate(sets) if not add]
            expression = " ".join(
                part
                for part in (
                    f"ADD {', '.join(added)}" if added else "",
                    f"DELETE {', '.join(deleted)}" if deleted else "",
                )
                if part
            )
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": posting_pk(status, key)}, "sk": {"S": bucket}},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":id": {"SS": [project_id]}},
            )

        list(_POOL.map(apply, by_item.items()))

    def postings(self, status: str, keys: list[str]) -> list[dict[str, set[str]]]:
        """For each term or facet key: ``{"title": ids, "body": ids, "ids": ids}`` over all its buckets."""
        found = self._all_buckets([posting_pk(status, key) for key in keys])
        result = []
        for key in keys:
            sets: dict[str, set[str]] = {"title": set(), "body": set(), "ids": set()}
            for item in found.get(posting_pk(status, key), []):
                for name, ids in sets.items():
                    if name in item:
                        ids.update(item[name]["SS"])
            result.append(sets)
        return result

    # -- columns -------------------------------------------------------------
    def set_columns(self, status: str, project_id: str, values: dict[str, str | int]) -> None:
        bucket = bucket_of(project_id)

        def apply(name: str) -> None:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": column_pk(status, name)}, "sk": {"S": bucket}},
                UpdateExpression="SET #p = :v",
                ExpressionAttributeNames={"#p": project_id},
                ExpressionAttributeValues={":v": _encode_value(values[name])},
            )

        list(_POOL.map(apply, values))

    def remove_columns(self, status: str, project_id: str, names: Iterable[str]) -> None:
        bucket = bucket_of(project_id)

        def apply(name: str) -> None:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": column_pk(status, name)}, "sk": {"S": bucket}},
                UpdateExpression="REMOVE #p",
                ExpressionAttributeNames={"#p": project_id},
            )

        list(_POOL.map(apply, names))

    def columns(self, status: str, names: Iterable[str]) -> dict[str, dict[str, str | int]]:
        """Every project's values of some sort columns (BatchGetItem of their buckets)."""
        wanted = list(names)
        found = self._all_buckets([column_pk(status, name) for name in wanted])
        result: dict[str, dict[str, str | int]] = {}
        for name in wanted:
            values: dict[str, str | int] = {}
            for item in found.get(column_pk(status, name), []):
                for attr, value in item.items():
                    if attr not in ("pk", "sk"):
                        values[attr] = int(value["N"]) if "N" in value else value["S"]
            result[name] = values
        return result

    def _all_buckets(self, pks: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Every bucket item of each partition key, by key: BatchGetItem on known keys (the
        buckets are a fixed set), 100 keys a call, calls in parallel; never a Scan."""
        keys = [{"pk": {"S": pk}, "sk": {"S": f"b{b:02d}"}} for pk in dict.fromkeys(pks) for b in range(BUCKETS)]
        chunks = [keys[i : i + 100] for i in range(0, len(keys), 100)]
        found: dict[str, list[dict[str, Any]]] = {}
        for items in _POOL.map(self._batch_get_keys, chunks):
            for item in items:
                found.setdefault(item["pk"]["S"], []).append(item)
        return found

    # -- bulk load (benchmarks, rebuilds) -----------------------------------
    def write_items(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem puts (25 a call, unprocessed items retried)."""
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {self.table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
            while request:
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
