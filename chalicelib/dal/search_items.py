"""The search index's items and keys: what the table holds (see ``chalicelib.dal.search``
for the layout and the store that reads and writes it). Built here only, so the item-size
test (``tests/unit/test_search_items.py``) measures the very items the store writes."""

from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.dal.base import GongyiModel

BUCKETS = 16
SEARCHABLE = ("online", "ended", "closed")
COLUMNS = ("created", "end", "raised")


class SearchIndexModel(GongyiModel):
    """Table definition only (keys); items are read and written with the low-level
    client below (dynamic key layouts, sets)."""

    table_suffix = "search-index"

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def bucket_of(project_id: str) -> str:
    digest = hashlib.blake2b(project_id.encode(), digest_size=2).digest()
    return f"b{int.from_bytes(digest, 'big') % BUCKETS:02d}"


def all_buckets() -> list[str]:
    return [f"b{b:02d}" for b in range(BUCKETS)]


def posting_pk(status: str, key: str, bucket: str) -> str:
    return f"{status}|{key}#{bucket}"


def column_pk(status: str, name: str, bucket: str) -> str:
    return f"{status}|col:{name}#{bucket}"


def count_pk(status: str) -> str:
    return f"{status}|count"


def card_pk(project_id: str) -> str:
    return f"card|{project_id}"


def column_sk(name: str, *, project_id: str, created: str, end: str, raised: int) -> str:
    """The sort key of a project's entry in a column: string order = the sort's tuple order
    (``#`` sorts below every character of an ISO timestamp; amounts are zero-padded)."""
    if name == "raised":
        return f"{int(raised):020d}#{created}#{project_id}"
    if name == "end":
        return f"{end}#{project_id}"
    return f"{created}#{project_id}"


def project_of_column_sk(sk: str) -> str:
    return sk.rsplit("#", 1)[1]


CARD_SK = "card"
_STRING_FIELDS = (
    "project_id", "status", "title", "summary", "category", "province", "city", "org_id",
    "created_at", "updated_at", "start_date", "end_date", "end_at", "cover_image_key",
)  # fmt: skip
_NUMBER_FIELDS = ("target_fen", "raised_fen", "ver")
_SET_FIELDS = ("campaign_ids", "title_terms", "body_terms", "facets")


def indexed(card: dict[str, Any] | None) -> bool:
    """Whether a card's project is in the index (columns, counts, postings)."""
    return bool(card and card.get("facets") and card.get("status") in SEARCHABLE)


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


def posting_item(
    status: str, key: str, project_id: str, where: str, created: str, bucket: str | None = None
) -> dict[str, Any]:
    """The stored form of one posting: ``project_id`` under a term (``where`` t/b) or facet (f)."""
    return {
        "pk": {"S": posting_pk(status, key, bucket or bucket_of(project_id))},
        "sk": {"S": project_id},
        "w": {"S": where},
        "c": {"S": created},
    }


def column_keys(card: dict[str, Any]) -> list[tuple[str, str]]:
    """``(pk, sk)`` of the card's column entries (none when it is not indexed)."""
    if not indexed(card):
        return []
    bucket = bucket_of(card["project_id"])
    values = {
        "project_id": card["project_id"],
        "created": card.get("created_at", ""),
        "end": card.get("end_at", ""),
        "raised": int(card.get("raised_fen") or 0),
    }
    return [(column_pk(card["status"], name, bucket), column_sk(name, **values)) for name in COLUMNS]


def key_item(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def count_item(status: str, bucket: str, n: int) -> dict[str, Any]:
    return {**key_item(count_pk(status), bucket), "n": {"N": str(n)}}


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills and limits it (attribute names + values, in bytes)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    text = value.get("S")
    if text is not None:
        return len(text.encode())
    ((kind, v),) = value.items()
    if kind == "N":
        return (len(v.lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "SS":
        return sum(len(x.encode()) for x in v)
    if kind == "NS":
        return sum((len(x) + 1) // 2 + 1 for x in v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(_value_size(x) + 1 for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(x) + 1 for k, x in v.items())
    return len(v)


def decode_card(item: dict[str, Any]) -> dict[str, Any]:
    card: dict[str, Any] = {name: item[name]["S"] for name in _STRING_FIELDS if name in item}
    for name in _NUMBER_FIELDS:
        card[name] = int(item[name]["N"]) if name in item else 0
    for name in _SET_FIELDS:
        card[name] = set(item[name]["SS"]) if name in item else set()
    return card
