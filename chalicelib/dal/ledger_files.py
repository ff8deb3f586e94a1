"""Signed tree heads as public files in the reports bucket, under ``ledger/heads/``."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client


def put_head_files(settings: Settings, size: int, body: bytes) -> None:
    s3 = aws_client(settings, "s3")
    for key in (f"ledger/heads/{size}.json", "ledger/heads/latest.json"):
        s3.put_object(Bucket=settings.reports_bucket, Key=key, Body=body, ContentType="application/json")
