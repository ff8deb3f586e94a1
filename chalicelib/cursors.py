"""The one paging-cursor codec: ``base64url(JSON)``, optionally ``.signature``.

Every paginated list hands out cursors made here and reads them back here, so
a malformed cursor (not ASCII, not base64, not JSON, not the expected shape,
or with a wrong signature) is always the same 400 ``invalid_cursor`` and never
a 500. The signature (keyed BLAKE2b) is for cursors that carry a sort key a
client must not choose (search); the others are opaque but unsigned: their
content is checked by the caller (``shape``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from chalicelib.errors import BadRequest


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.blake2b).hexdigest()[:32]


def encode_cursor(data: Any, *, key: bytes | None = None) -> str:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{payload}.{_sign(key, payload.encode())}" if key is not None else payload


def decode_cursor(
    cursor: str,
    *,
    key: bytes | None = None,
    shape: Callable[[Any], Any] | None = None,
    message: str = "the cursor is malformed or was altered; start again without it",
) -> Any:
    """The data of a cursor this API issued; ``InvalidCursor`` for anything else.

    ``shape`` validates and converts the decoded JSON; any exception it raises
    (``ValueError``, ``KeyError``, ``TypeError``, ``IndexError``) means "not ours".
    """
    if not isinstance(cursor, str) or not cursor.isascii() or len(cursor) > 4096:
        raise InvalidCursor(message)
    payload = cursor
    if key is not None:
        payload, _, signature = cursor.partition(".")
        if not payload or not hmac.compare_digest(signature, _sign(key, payload.encode())):
            raise InvalidCursor(message)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return shape(data) if shape is not None else data
    except InvalidCursor:
        raise
    except (binascii.Error, ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise InvalidCursor(message) from None
