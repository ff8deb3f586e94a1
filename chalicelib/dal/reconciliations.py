"""Daily reconciliation results (对账): one item per (Shanghai day, provider), and the raw bills in S3.

A re-run of a day overwrites its item with the same result and records its
differences through ``record_anomaly`` (one item per provider, transaction and
kind): running a day twice adds nothing.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.donations import PAID_MONTH_SHARDS, DonationModel


class ReconciliationModel(GongyiModel):
    table_suffix = "payment-reconciliations"

    class Meta:
        table_name = "unbound"

    day = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD, Asia/Shanghai
    provider = UnicodeAttribute(range_key=True)
    result = UnicodeAttribute()  # JSON: counts, sums, differences
    bill_key = UnicodeAttribute(null=True)  # where the raw bill is (reports bucket)
    reconciled_at = UnicodeAttribute()


def save_result(day: str, provider: str, result: dict[str, Any], bill_key: str | None, at: str) -> None:
    ReconciliationModel(
        day=day,
        provider=provider,
        result=json.dumps(result, ensure_ascii=False, sort_keys=True),
        bill_key=bill_key,
        reconciled_at=at,
    ).save()


def results_of_day(day: str) -> list[ReconciliationModel]:
    return list(ReconciliationModel.query(day))


def store_bill(settings: Settings, provider: str, day: str, raw: bytes) -> str:
    key = f"payments/bills/{provider}/{day}.{'zip' if provider == 'alipay' else 'csv'}"
    aws_client(settings, "s3").put_object(Bucket=settings.reports_bucket, Key=key, Body=raw)
    return key


def paid_between(start: str, end: str, months: list[str]) -> list[DonationModel]:
    """Donations paid (or paid then refunded) in [start, end] (UTC ISO), from the ``by_paid_month``
    shards of ``months``: a Query per shard, never a Scan."""
    found: list[DonationModel] = []
    for month in months:
        for shard in range(PAID_MONTH_SHARDS):
            found += list(
                DonationModel.by_paid_month.query(f"{month}#{shard}", DonationModel.paid_at.between(start, end))
            )
    return found
