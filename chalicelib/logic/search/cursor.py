"""Opaque, tamper-evident paging cursors.

A cursor is ``base64url(JSON).signature``: the JSON holds the sort key of the
last result served and a fingerprint of the query it belongs to; the
signature is a keyed BLAKE2b over both. A cursor that was edited, truncated,
or is replayed with other parameters is refused (``invalid_cursor``), never
silently reinterpreted. Paging is keyset paging: the next page holds the
results strictly after that key in the query's total order, so results
never repeat or go missing because other projects were added or removed
meanwhile (see docs/readme/search.md for the guarantees by sort).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from chalicelib.errors import BadRequest
from chalicelib.logic.search.model import SearchQuery

VERSION = 1


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


def _fingerprint(query: SearchQuery) -> str:
    parts = [query.q, query.status, query.sort.value, json.dumps(query.filters, sort_keys=True, ensure_ascii=False)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.blake2b).hexdigest()[:32]


def encode_cursor(query: SearchQuery, last_key: tuple[Any, ...], *, key: bytes) -> str:
    body = json.dumps(
        {"v": VERSION, "f": _fingerprint(query), "k": list(last_key)}, separators=(",", ":"), ensure_ascii=False
    )
    payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{payload}.{_sign(key, payload.encode())}"


def decode_cursor(cursor: str, query: SearchQuery, *, key: bytes) -> tuple[Any, ...]:
    """The sort key to resume after; ``InvalidCursor`` if it is not one we issued for this query."""
    payload, _, signature = cursor.partition(".")
    if not payload or not hmac.compare_digest(signature, _sign(key, payload.encode())):
        raise InvalidCursor("the cursor is malformed or was altered; start again without it")
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor("the cursor is malformed; start again without it") from None
    if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("k"), list):
        raise InvalidCursor("the cursor is malformed; start again without it")
    if data.get("f") != _fingerprint(query):
        raise InvalidCursor("the cursor belongs to another query (q, filters, status or sort changed)")
    return tuple(data["k"])
