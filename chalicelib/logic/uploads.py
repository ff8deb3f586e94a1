"""Uploads to the documents bucket: one way to hand out a presigned PUT URL, and to link a stored file.

Clients never send files through the API (API Gateway and binary bodies do not
mix): they ask for an upload, PUT the file to S3, then reference its key.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.dal.aws import presigned_get, presigned_put
from chalicelib.errors import ValidationFailed
from chalicelib.ids import new_id

DOCUMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
UPLOAD_TTL_SECONDS = 900


@dataclass(frozen=True)
class UploadGrant:
    upload_url: str
    key: str
    content_type: str
    expires_in: int


def grant_upload(settings: Settings, *, prefix: str, content_type: str) -> UploadGrant:
    """A fresh key under ``prefix`` and a presigned URL to PUT a PDF, JPEG or PNG there."""
    extension = DOCUMENT_TYPES.get(content_type)
    if extension is None:
        raise ValidationFailed(
            f"content_type must be one of {', '.join(DOCUMENT_TYPES)}", code="unsupported_content_type"
        )
    key = f"{prefix}/{new_id()}{extension}"
    url = presigned_put(
        settings, settings.documents_bucket, key, content_type=content_type, expires_in=UPLOAD_TTL_SECONDS
    )
    return UploadGrant(upload_url=url, key=key, content_type=content_type, expires_in=UPLOAD_TTL_SECONDS)


def document_url(settings: Settings, key: str | None) -> str | None:
    """A short-lived link to a stored document (None when there is none)."""
    return presigned_get(settings, settings.documents_bucket, key) if key else None
