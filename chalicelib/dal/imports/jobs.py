"""Import jobs: one declared file and its processing state (the checkpoint included)."""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from ulid import ULID

from chalicelib.dal.base import GongyiModel
from chalicelib.errors import Conflict, NotFound


class ImportsByOrg(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_org"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ImportModel(GongyiModel):
    """One declared file and its processing state (the checkpoint included)."""

    table_suffix = "imports"

    class Meta:
        table_name = "unbound"

    import_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    file_name = UnicodeAttribute()
    file_format = UnicodeAttribute()  # csv | xlsx
    object_key = UnicodeAttribute()
    status = UnicodeAttribute()  # waiting_upload | processing | completed | completed_with_errors | failed
    # The upload this job processes: later deliveries of other versions are ignored.
    source_etag = UnicodeAttribute(null=True)
    source_version = UnicodeAttribute(null=True)
    size_bytes = NumberAttribute(null=True)
    encoding = UnicodeAttribute(null=True)  # utf-8-sig | gb18030 (CSV)
    columns = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    total_rows = NumberAttribute(null=True)  # XLSX: the sheet's dimension, for progress
    # Checkpoint: the next record to read (spreadsheet row number, header = 1) and, for CSV, its byte offset.
    next_row = NumberAttribute(default=0)
    next_byte = NumberAttribute(default=0)
    chunks_committed = NumberAttribute(default=0)
    rows_read = NumberAttribute(default=0)
    rows_imported = NumberAttribute(default=0)
    rows_duplicate = NumberAttribute(default=0)
    rows_rejected = NumberAttribute(default=0)
    amount_imported_fen = NumberAttribute(default=0)
    failure_code = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    error_report_key = UnicodeAttribute(null=True)
    invocations = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)

    by_org = ImportsByOrg()


def create_import(job: ImportModel) -> ImportModel:
    try:
        job.save(condition=ImportModel.import_id.does_not_exist())
    except PutError as exc:  # a ULID collision: practically impossible
        raise Conflict("this import exists already") from exc
    return job


def _hashed_id(*parts: str) -> str:
    """A ULID-shaped id from a hash of ``parts``: stable, and nobody can enumerate it."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return str(ULID.from_bytes(digest[:16]))


def import_id_for_request(org_id: str, sub: str, idempotency_key: str) -> str:
    """The import id a client's ``Idempotency-Key`` maps to (per charity and caller)."""
    return _hashed_id("gongyi-import-request", org_id, sub, idempotency_key)


def imported_donation_id(org_id: str, external_ref: str) -> str:
    """The donation id of (uploading charity, external reference): the import dedupe key.

    The same reference in any later file of the same charity maps to the same item.
    """
    return _hashed_id("gongyi-import", org_id, external_ref)


def find_import(import_id: str) -> ImportModel | None:
    try:
        return ImportModel.get(import_id, consistent_read=True)
    except DoesNotExist:
        return None


def get_import(import_id: str) -> ImportModel:
    job = find_import(import_id)
    if job is None:
        raise NotFound("no such import", code="import_not_found")
    return job


def list_imports(
    org_id: str, *, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[ImportModel], dict[str, Any] | None]:
    result = ImportModel.by_org.query(org_id, scan_index_forward=False, limit=limit, last_evaluated_key=cursor)
    items = list(result)
    return items, result.last_evaluated_key


def claim_upload(import_id: str, *, etag: str, version: str | None, size: int, now: str) -> ImportModel | None:
    """Move a waiting job to ``processing`` for this upload; None when it holds another upload.

    Re-delivery of the same upload (same etag) returns the job unchanged.
    """
    job = get_import(import_id)
    if job.status != "waiting_upload":
        return job if job.source_etag == etag else None
    try:
        job.update(
            actions=[
                ImportModel.status.set("processing"),
                ImportModel.source_etag.set(etag),
                ImportModel.source_version.set(version) if version else ImportModel.source_version.remove(),
                ImportModel.size_bytes.set(size),
                ImportModel.started_at.set(now),
                ImportModel.updated_at.set(now),
            ],
            condition=ImportModel.status == "waiting_upload",
        )
    except UpdateError:
        job = get_import(import_id)
        return job if job.source_etag == etag else None
    return job


def record_file_layout(
    job: ImportModel,
    *,
    encoding: str | None,
    columns: list[str],
    next_row: int,
    next_byte: int,
    total_rows: int | None,
    now: str,
) -> None:
    """What the first pass learnt: encoding, column order and where the data starts."""
    actions: list[Any] = [
        ImportModel.columns.set(columns),  # type: ignore[arg-type]
        ImportModel.next_row.set(next_row),
        ImportModel.next_byte.set(next_byte),
        ImportModel.updated_at.set(now),
    ]
    if encoding:
        actions.append(ImportModel.encoding.set(encoding))
    if total_rows is not None:
        actions.append(ImportModel.total_rows.set(total_rows))
    job.update(actions=actions, condition=(ImportModel.status == "processing") & (ImportModel.next_row == 0))


def column_layout(job: ImportModel) -> list[str]:
    """The canonical column name per position ("" for an ignored column) of the job's file."""
    return [str(c) for c in (job.columns or [])]


def count_invocation(job: ImportModel) -> None:
    job.update(actions=[ImportModel.invocations.add(1)])


def finish_import(job: ImportModel, *, status: str, error_report_key: str | None, now: str) -> None:
    actions: list[Any] = [
        ImportModel.status.set(status),
        ImportModel.finished_at.set(now),
        ImportModel.updated_at.set(now),
    ]
    if error_report_key:
        actions.append(ImportModel.error_report_key.set(error_report_key))
    _update_while_processing(job, actions)


def fail_import(job: ImportModel, *, code: str, reason: str, now: str) -> None:
    _update_while_processing(
        job,
        [
            ImportModel.status.set("failed"),
            ImportModel.failure_code.set(code),
            ImportModel.failure_reason.set(reason),
            ImportModel.finished_at.set(now),
            ImportModel.updated_at.set(now),
        ],
    )


def _update_while_processing(job: ImportModel, actions: list[Any]) -> None:
    with contextlib.suppress(UpdateError):  # finished already by an earlier delivery
        job.update(actions=actions, condition=ImportModel.status == "processing")
