"""The monthly self-check report's files in the reports bucket (same month, same keys: overwriting is idempotent)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client, presigned_get

REPORT_CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def report_key(month: str, fmt: str) -> str:
    return f"self-check/{month}/self-check-{month}.{fmt}"


def put_report_files(settings: Settings, month: str, files: dict[str, bytes]) -> dict[str, str]:
    """Store the report's files (overwriting: the same month always has the same keys). Returns the keys."""
    s3 = aws_client(settings, "s3")
    keys = {}
    for fmt, body in files.items():
        key = report_key(month, fmt)
        s3.put_object(Bucket=settings.reports_bucket, Key=key, Body=body, ContentType=REPORT_CONTENT_TYPES[fmt])
        keys[fmt] = key
    return keys


def get_report_json(settings: Settings, month: str) -> dict[str, Any] | None:
    s3 = aws_client(settings, "s3")
    try:
        obj = s3.get_object(Bucket=settings.reports_bucket, Key=report_key(month, "json"))
    except s3.exceptions.NoSuchKey:
        return None
    return dict(json.loads(obj["Body"].read()))


def report_links(settings: Settings, month: str, *, expires_in: int = 900) -> dict[str, str]:
    return {
        fmt: presigned_get(settings, settings.reports_bucket, report_key(month, fmt), expires_in=expires_in)
        for fmt in REPORT_CONTENT_TYPES
    }
