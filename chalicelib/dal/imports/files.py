"""The import's S3 objects (the upload, the error report) and its queue messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client, head_object, queue_url

CONTINUE = "import_continue"


@dataclass(frozen=True)
class StoredObject:
    etag: str
    size: int
    version: str | None


def head_upload(settings: Settings, key: str) -> StoredObject | None:
    head = head_object(settings, settings.imports_bucket, key)
    if head is None:
        return None
    return StoredObject(head["ETag"].strip('"'), int(head["ContentLength"]), head.get("VersionId"))


def upload_stream(settings: Settings, key: str, *, etag: str, start: int = 0) -> Any:
    """The upload's bytes from ``start`` as a streaming body (``read``/``close``);
    fails if the object changed (If-Match)."""
    s3 = aws_client(settings, "s3")
    params: dict[str, Any] = {"Bucket": settings.imports_bucket, "Key": key, "IfMatch": f'"{etag}"'}
    if start:
        params["Range"] = f"bytes={start}-"
    return s3.get_object(**params)["Body"]


def download_upload(settings: Settings, key: str, path: str) -> None:
    """Copy the upload to a local file, streamed (XLSX needs a seekable file)."""
    aws_client(settings, "s3").download_file(settings.imports_bucket, key, path)


def store_error_report(settings: Settings, key: str, path: str) -> None:
    aws_client(settings, "s3").upload_file(
        path, settings.reports_bucket, key, ExtraArgs={"ContentType": "text/csv; charset=utf-8"}
    )


def continuation(import_id: str) -> dict[str, str]:
    """The imports-queue message that resumes an import from its checkpoint."""
    return {"kind": CONTINUE, "import_id": import_id}


def queue_continuation(settings: Settings, import_id: str, *, delay_seconds: int = 0) -> None:
    """Put a continuation on the imports queue (the next slice, or a lane-busy retry)."""
    aws_client(settings, "sqs").send_message(
        QueueUrl=queue_url(settings, "imports"),
        MessageBody=json.dumps(continuation(import_id)),
        DelaySeconds=delay_seconds,
    )
