"""Bulk imports: declare a file, upload it to S3 with the returned URL, follow its progress."""

from __future__ import annotations

from typing import Literal, cast

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.config import Settings
from chalicelib.errors import ValidationFailed
from chalicelib.logic.imports import jobs

bp = Blueprint(__name__)
TAGS = ["imports"]
ImportStatus = Literal["waiting_upload", "processing", "completed", "completed_with_errors", "failed"]


class ImportDeclaration(BaseModel):
    file_name: str = Field(
        min_length=1, max_length=200, description="the file's name, for people (e.g. 银行流水-11月.csv)"
    )
    format: Literal["csv", "xlsx"]
    org_id: str | None = Field(default=None, description="defaults to the caller's charity")


class ImportRows(BaseModel):
    read: int
    imported: int
    skipped_duplicates: int
    rejected: int


class ImportView(BaseModel):
    import_id: str
    org_id: str
    file_name: str
    format: str
    status: ImportStatus
    rows: ImportRows
    amount_imported_fen: int
    progress: float = Field(description="share of the file processed, 0..1")
    failure_code: str | None = None
    failure_reason: str | None = None
    error_report_url: str | None = Field(default=None, description="presigned link to the CSV of rejected rows")
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None


class DeclaredImportView(ImportView):
    upload_url: str = Field(description="PUT the file here, with the Content-Type below")
    upload_method: str = "PUT"
    upload_headers: dict[str, str]
    upload_expires_in: int


class ImportList(BaseModel):
    items: list[ImportView]
    next_cursor: str | None = None


class ImportListQuery(BaseModel):
    org_id: str | None = Field(default=None, min_length=1, description="defaults to the caller's charity")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


def _view(settings: Settings, job: jobs.ImportJob, *, with_report: bool = True) -> ImportView:
    return ImportView(
        import_id=job.import_id,
        org_id=job.org_id,
        file_name=job.file_name,
        format=job.file_format,
        status=cast(ImportStatus, job.status),
        rows=ImportRows(
            read=int(job.rows_read or 0),
            imported=int(job.rows_imported or 0),
            skipped_duplicates=int(job.rows_duplicate or 0),
            rejected=int(job.rows_rejected or 0),
        ),
        amount_imported_fen=int(job.amount_imported_fen or 0),
        progress=jobs.progress(job),
        failure_code=job.failure_code,
        failure_reason=job.failure_reason,
        error_report_url=jobs.error_report_url(settings, job) if with_report else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@api_route(
    bp,
    "/imports",
    "POST",
    body=ImportDeclaration,
    response=DeclaredImportView,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="Declare an import file (Idempotency-Key accepted); returns a presigned upload URL",
    tags=TAGS,
)
def declare_import(ctx: RequestContext) -> DeclaredImportView:
    principal = ctx.require_principal()
    body: ImportDeclaration = ctx.body
    declared = jobs.declare_import(
        ctx.settings,
        principal,
        org_id=body.org_id or str(principal.org_id),
        file_name=body.file_name,
        file_format=body.format,
        idempotency_key=ctx.header("Idempotency-Key"),
    )
    return DeclaredImportView(
        **_view(ctx.settings, declared.job, with_report=False).model_dump(),
        upload_url=declared.upload_url,
        upload_headers={"Content-Type": declared.content_type},
        upload_expires_in=declared.expires_in,
    )


@api_route(
    bp,
    "/imports/{import_id}",
    "GET",
    response=ImportView,
    roles=[Role.ORG_ADMIN, Role.PLATFORM_ADMIN],
    summary="An import's status, counts, progress and error report",
    tags=TAGS,
)
def get_import(ctx: RequestContext, import_id: str) -> ImportView:
    return _view(ctx.settings, jobs.import_for(ctx.require_principal(), import_id))


@api_route(
    bp,
    "/imports",
    "GET",
    query=ImportListQuery,
    response=ImportList,
    roles=[Role.ORG_ADMIN, Role.PLATFORM_ADMIN],
    summary="A charity's imports, newest first",
    tags=TAGS,
)
def list_imports(ctx: RequestContext) -> ImportList:
    query: ImportListQuery = ctx.query
    principal = ctx.require_principal()
    org_id = query.org_id or principal.org_id
    if not org_id:
        raise ValidationFailed(
            "org_id is required", details=[{"field": "org_id", "code": "missing", "message": "name the charity"}]
        )
    found, cursor = jobs.list_for(principal, org_id=org_id, limit=query.limit, cursor=query.cursor)
    return ImportList(items=[_view(ctx.settings, j, with_report=False) for j in found], next_cursor=cursor)
