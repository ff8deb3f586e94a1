"""The table behind Powertools Idempotency (``Idempotency-Key`` on client POSTs).

Powertools owns the item layout (``id``, ``expiration``, ``status``, ``data``,
``validation``); this model only declares the table so infra/ and the local
stack create it like every other.
"""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.dal.base import GongyiModel


class IdempotencyRecordModel(GongyiModel):
    table_suffix = "idempotency"

    class Meta:
        table_name = "unbound"

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    in_progress_expiration = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)
    validation = UnicodeAttribute(null=True)


@functools.cache
def persistence_layer(table_name: str, region: str, endpoint_url: str | None) -> Any:
    """A Powertools DynamoDB persistence layer on this stage's idempotency table."""
    import boto3  # noqa: PLC0415
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


def idempotency_persistence() -> Any:
    meta: Any = IdempotencyRecordModel.Meta
    return persistence_layer(meta.table_name, meta.region, meta.host)
