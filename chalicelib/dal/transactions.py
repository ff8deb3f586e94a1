"""One PynamoDB connection per endpoint for transactions.

``TransactWrite`` needs a ``Connection``; building one per request creates a
botocore session each time (hundreds of milliseconds). Models cache theirs;
this does the same for transactions.
"""

from __future__ import annotations

import functools

from pynamodb.connection import Connection

from chalicelib.dal.base import GongyiModel


@functools.cache
def _connection(region: str, host: str | None) -> Connection:
    return Connection(region=region, host=host)


def connection_for(model: type[GongyiModel]) -> Connection:
    """The transaction connection for ``model``'s current binding (region and endpoint)."""
    meta = model.Meta
    return _connection(meta.region, getattr(meta, "host", None))
