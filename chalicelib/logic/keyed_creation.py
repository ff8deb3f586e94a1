"""Creating POSTs that accept an ``Idempotency-Key`` (match pools, teams, enterprises).

The new item's id is derived from the key, per caller and route, so a retried POST lands
on the item the first one wrote (its ``attribute_not_exists`` condition fails) and gets
that item back: no duplicate, whatever the interleaving. The item keeps a digest of the
request, so the same key with another body is refused rather than answered with the
wrong resource. Without a key, the id is a fresh ULID as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from chalicelib.errors import BadRequest, IdempotencyKeyReused
from chalicelib.ids import new_id

MAX_KEY_LENGTH = 128


def keyed_id(scope: str, idempotency_key: str | None) -> str:
    """A fresh id, or with a key one derived from ``scope`` (route and caller) and the key."""
    if idempotency_key is None or not idempotency_key.strip():
        return new_id()
    if len(idempotency_key) > MAX_KEY_LENGTH:
        raise BadRequest(
            f"the Idempotency-Key is longer than {MAX_KEY_LENGTH} characters", code="idempotency_key_invalid"
        )
    digest = hashlib.sha256(f"{scope}|{idempotency_key.strip()}".encode()).hexdigest()
    return f"K{digest[:25].upper()}"


def request_digest(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(dict(body), sort_keys=True, default=str).encode()).hexdigest()


def require_same_request(stored_digest: str | None, digest: str) -> None:
    """A retried POST must carry the same request as the first one with its key."""
    if stored_digest != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request", code="idempotency_key_reused"
        )
