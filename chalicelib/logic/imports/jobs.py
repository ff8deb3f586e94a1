"""Declaring an import and reading its state (what the API serves)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.dal.aws import presigned_get, presigned_put
from chalicelib.dal.imports import jobs as store
from chalicelib.errors import Conflict, IdempotencyKeyReused, NotFound
from chalicelib.ids import new_id

UPLOAD_URL_SECONDS = 3600
REPORT_URL_SECONDS = 900
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# What the API shows of an import (the stored job; the API reads its attributes).
ImportJob = store.ImportModel


def object_key(org_id: str, import_id: str, file_name: str, file_format: str) -> str:
    """``orgs/<org>/imports/<id>/<file>``: the charity's prefix; the name made safe for S3 events."""
    stem = _UNSAFE.sub("_", file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip("._") or "upload"
    return f"orgs/{org_id}/imports/{import_id}/{stem[:80]}.{file_format}"


@dataclass(frozen=True)
class DeclaredImport:
    job: ImportJob
    upload_url: str
    content_type: str
    expires_in: int


def declare_import(
    settings: Settings,
    principal: Principal,
    *,
    org_id: str,
    file_name: str,
    file_format: str,
    idempotency_key: str | None = None,
) -> DeclaredImport:
    """Create an import waiting for its upload. With an ``Idempotency-Key``, a repeated request
    returns the same import (and a fresh upload URL); the same key for another file is refused."""
    principal.require_org(org_id)
    now = to_iso(utcnow())
    import_id = store.import_id_for_request(org_id, principal.sub, idempotency_key) if idempotency_key else new_id()
    job = store.find_import(import_id) if idempotency_key else None
    if job is None:
        candidate = store.ImportModel(
            import_id,
            org_id=org_id,
            created_by=principal.sub,
            file_name=file_name,
            file_format=file_format,
            object_key=object_key(org_id, import_id, file_name, file_format),
            status="waiting_upload",
            created_at=now,
            updated_at=now,
        )
        try:
            job = store.create_import(candidate)
        except Conflict:
            if not idempotency_key:
                raise
            job = store.get_import(import_id)  # the same request, a moment earlier
    if (job.file_name, job.file_format) != (file_name, file_format):
        raise IdempotencyKeyReused("this Idempotency-Key was used to declare another file")
    content_type = CONTENT_TYPES[file_format]
    url = presigned_put(
        settings, settings.imports_bucket, job.object_key, content_type=content_type, expires_in=UPLOAD_URL_SECONDS
    )
    return DeclaredImport(job, url, content_type, UPLOAD_URL_SECONDS)


def import_for(principal: Principal, import_id: str) -> ImportJob:
    """The import, if the caller may see it (its charity's admins and platform admins)."""
    job = store.get_import(import_id)
    if not principal.is_platform_admin and principal.org_id != job.org_id:
        raise NotFound("no such import", code="import_not_found")  # do not reveal other charities' imports
    return job


def progress(job: ImportJob) -> float:
    """Share of the file done, 0..1: bytes for CSV, rows for XLSX."""
    if job.status in ("completed", "completed_with_errors"):
        return 1.0
    if job.file_format == "csv" and job.size_bytes:
        return round(min(1.0, int(job.next_byte or 0) / int(job.size_bytes)), 4)
    if job.total_rows and job.next_row:
        return round(min(1.0, (int(job.next_row) - 1) / int(job.total_rows)), 4)
    return 0.0


def error_report_url(settings: Settings, job: ImportJob) -> str | None:
    if not job.error_report_key:
        return None
    return presigned_get(settings, settings.reports_bucket, job.error_report_key, expires_in=REPORT_URL_SECONDS)


def list_for(
    principal: Principal, *, org_id: str, limit: int, cursor: str | None
) -> tuple[list[ImportJob], str | None]:
    principal.require_org(org_id)
    start = decode_cursor(cursor, shape=_org_key(org_id), message="the cursor is not valid") if cursor else None
    jobs, last = store.list_imports(org_id, limit=limit, cursor=start)
    return jobs, encode_cursor(last) if last else None


def _org_key(org_id: str) -> Callable[[Any], dict[str, Any]]:
    """The cursor's shape check: a key of this charity's listing, nothing else."""

    def shape(key: Any) -> dict[str, Any]:
        if key["org_id"]["S"] != org_id:
            raise ValueError
        return dict(key)

    return shape
