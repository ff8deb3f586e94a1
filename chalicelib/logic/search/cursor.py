"""Opaque, tamper-evident paging cursors for search.

A search cursor is a signed cursor of the shared codec (``chalicelib.cursors``,
keyed with the stage's search cursor key): it holds the sort key of the last
result served and a fingerprint of the query it belongs to. A cursor that was
edited, truncated, or is replayed with other parameters is refused
(``invalid_cursor``), never silently reinterpreted. Paging is keyset paging:
the next page holds the results strictly after that key in the query's total
order, so results never repeat or go missing because other projects were
added or removed meanwhile (see docs/readme/search.md for the guarantees by sort).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib import cursors
from chalicelib.cursors import InvalidCursor
from chalicelib.logic.search.model import SearchQuery

__all__ = ["InvalidCursor", "decode_cursor", "encode_cursor"]

VERSION = 1


def _fingerprint(query: SearchQuery) -> str:
    parts = [query.q, query.status, query.sort.value, json.dumps(query.filters, sort_keys=True, ensure_ascii=False)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def encode_cursor(query: SearchQuery, last_key: tuple[Any, ...], *, key: bytes) -> str:
    return cursors.encode_cursor({"v": VERSION, "f": _fingerprint(query), "k": list(last_key)}, key=key)


def decode_cursor(cursor: str, query: SearchQuery, *, key: bytes) -> tuple[Any, ...]:
    """The sort key to resume after; ``InvalidCursor`` if it is not one we issued for this query."""

    def shape(data: Any) -> tuple[Any, ...]:
        if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("k"), list):
            raise ValueError("not a search cursor")
        if data.get("f") != _fingerprint(query):
            raise InvalidCursor("the cursor belongs to another query (q, filters, status or sort changed)")
        return tuple(data["k"])

    result: tuple[Any, ...] = cursors.decode_cursor(cursor, key=key, shape=shape)
    return result
