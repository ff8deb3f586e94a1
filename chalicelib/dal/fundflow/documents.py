"""Voucher files in the documents bucket: what a charity uploaded (type, size, time) and its SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib.clock import to_iso
from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client, head_object

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    content_type: str
    size_bytes: int
    uploaded_at: str
    version: str | None


def stored_file(settings: Settings, key: str) -> StoredFile | None:
    """What S3 says of an uploaded voucher; None if nothing was uploaded under ``key``."""
    head = head_object(settings, settings.documents_bucket, key)
    if head is None:
        return None
    return StoredFile(
        content_type=str(head.get("ContentType") or "application/octet-stream"),
        size_bytes=int(head["ContentLength"]),
        uploaded_at=to_iso(head["LastModified"]),
        version=head.get("VersionId"),
    )


def file_sha256(settings: Settings, key: str) -> str:
    """The hex SHA-256 of the file's bytes, streamed (never the whole file in memory)."""
    body = aws_client(settings, "s3").get_object(Bucket=settings.documents_bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    try:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            digest.update(chunk)
    finally:
        body.close()
    return digest.hexdigest()
