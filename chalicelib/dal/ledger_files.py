"""The public ledger files in the ledger bucket (public read on ``ledger/`` only, infra/fundflow.yaml):
``ledger/heads/{size}.json``, ``ledger/heads/latest.json`` and ``ledger/public-key.json``."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client

PREFIX = "ledger/"
# A head file never changes (one per size); latest.json and the key are re-read by auditors.
_IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=60"


def put_head_files(settings: Settings, size: int, body: bytes, public_key: bytes) -> None:
    """Publish a signed head under its size, then as the latest, with the key that verifies it."""
    s3 = aws_client(settings, "s3")
    files = (
        (f"{PREFIX}public-key.json", public_key, _SHORT),
        (f"{PREFIX}heads/{size}.json", body, _IMMUTABLE),
        (f"{PREFIX}heads/latest.json", body, _SHORT),
    )
    for key, content, caching in files:
        s3.put_object(
            Bucket=settings.ledger_bucket, Key=key, Body=content, ContentType="application/json", CacheControl=caching
        )
