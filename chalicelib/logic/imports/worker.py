"""The import worker: turns an uploaded file into paid donations, in resumable slices.

A message on the imports queue is either S3's ``ObjectCreated`` event for an
upload or our own continuation (``{"kind": "import_continue", "import_id"}``).
Either one runs a *slice*: take the charity's import lane, read records from
the job's checkpoint in chunks, and for each chunk

1. validate rows (rejected rows are stored for the error report);
2. read which of the chunk's donation ids exist (BatchGetItem): an id written
   by another row or import is a duplicate; one written by this very row is
   the trace of a run that crashed before committing, and counts as imported;
3. write the new donations (BatchWriteItem, 25 per call, UnprocessedItems
   retried with backoff);
4. commit: one transaction moves the checkpoint past the chunk and adds the
   chunk's totals to the projects' sharded counters, on condition that the
   checkpoint is where the chunk began.

When the invocation's remaining time drops under a margin, the slice stops
between chunks and puts a continuation on the queue. A crash anywhere leaves
the checkpoint at the last committed chunk; the redelivered message resumes
there, so no donation is written or counted twice and none is skipped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import unquote_plus

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import imports as store
from chalicelib.errors import NotFound
from chalicelib.ids import new_id
from chalicelib.logic.imports.columns import FileRejected, HeaderMap, map_header
from chalicelib.logic.imports.readers import (
    Record,
    csv_records,
    inspect_csv,
    xlsx_dimension,
    xlsx_records,
    xlsx_workbook,
)
from chalicelib.logic.imports.report import write_error_report
from chalicelib.logic.imports.rows import ProjectAccess, ValidRow, cell_text, paid_month, validate_row
from chalicelib.observability import logger
from chalicelib.privacy import phone_hash

CHUNK_ROWS = 1000
# Stop starting chunks when less than this is left: a chunk takes well under a second on
# DynamoDB, so two minutes leaves room for the slowest chunk, the report and the hand-over.
STOP_MARGIN_MS = 120_000
LANE_RETRY_DELAY_S = 60
MAX_PROJECTS_PER_CHUNK = store.TRANSACTION_LIMIT - 1
CLOSED_TO_IMPORTS = {"draft", "pending_review", "rejected"}
CONTINUE = "import_continue"


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Tuning:
    chunk_rows: int = CHUNK_ROWS
    stop_margin_ms: int = STOP_MARGIN_MS


def handle_import_message(
    settings: Settings, body: dict[str, Any], context: LambdaContext, tuning: Tuning = Tuning()
) -> list[str]:
    """Process one queue message; returns what happened to each job it names (for logs and tests)."""
    if body.get("kind") == CONTINUE:
        return [run_slice(settings, str(body["import_id"]), context, tuning)]
    outcomes = []
    for record in body.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        obj = record["s3"]["object"]
        outcomes.append(
            on_upload(
                settings,
                key=unquote_plus(obj["key"]),
                etag=str(obj.get("eTag") or obj.get("etag") or "").strip('"'),
                version=obj.get("versionId"),
                size=int(obj.get("size", 0)),
                context=context,
                tuning=tuning,
            )
        )
    return outcomes  # s3:TestEvent and other event kinds carry no records: nothing to do


def on_upload(
    settings: Settings, *, key: str, etag: str, version: str | None, size: int, context: LambdaContext, tuning: Tuning
) -> str:
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != "orgs" or parts[2] != "imports":
        logger.warning("upload outside orgs/<org>/imports/<id>/<file> ignored", extra={"key": key})
        return "ignored"
    org_id, import_id = parts[1], parts[3]
    try:
        job = store.get_import(import_id)
    except NotFound:
        logger.warning("upload for an unknown import ignored", extra={"import_id": import_id})
        return "ignored"
    if job.org_id != org_id or job.object_key != key:
        logger.warning("upload does not match its import", extra={"import_id": import_id})
        return "ignored"
    if not etag:  # hand-made events: ask S3
        stored = store.head_upload(settings, key)
        if stored is None:
            return "ignored"
        etag, size, version = stored.etag, stored.size, stored.version
    claimed = store.claim_upload(import_id, etag=etag, version=version, size=size, now=to_iso(utcnow()))
    if claimed is None:
        logger.warning(
            "a second upload to a claimed import ignored: declare a new import", extra={"import_id": import_id}
        )
        return "ignored"
    return run_slice(settings, import_id, context, tuning)


def run_slice(settings: Settings, import_id: str, context: LambdaContext, tuning: Tuning = Tuning()) -> str:
    """Advance one import as far as this invocation's time allows.

    Returns ``completed``, ``completed_with_errors``, ``failed``, ``continued``,
    ``waiting_for_lane`` (another import of the charity runs; retried later),
    ``already_running`` (this import runs elsewhere) or ``ignored``.
    """
    job = store.get_import(import_id)
    if job.status != "processing":
        return "ignored"
    now = utcnow()
    # The lease outlives this invocation (Lambda stops it at its timeout), never the reverse.
    lease_until = now + timedelta(milliseconds=context.get_remaining_time_in_millis()) + timedelta(seconds=30)
    lane = store.acquire_lane(job.org_id, import_id, holder=new_id(), lease_until=to_iso(lease_until), now=to_iso(now))
    if isinstance(lane, str):
        if lane == import_id:
            return "already_running"
        store.send_import_message(settings, continuation(import_id), delay_seconds=LANE_RETRY_DELAY_S)
        return "waiting_for_lane"
    try:
        outcome = _run(settings, import_id, context, tuning)
    finally:
        store.release_lane(lane)
    if outcome == "continued":
        # After the release: the next slice must find the lane free.
        store.send_import_message(settings, continuation(import_id))
    return outcome


def continuation(import_id: str) -> dict[str, str]:
    return {"kind": CONTINUE, "import_id": import_id}


def _run(settings: Settings, import_id: str, context: LambdaContext, tuning: Tuning) -> str:
    job = store.get_import(import_id)
    if job.status != "processing":
        return "ignored"
    store.count_invocation(job)
    try:
        if job.file_format == "xlsx":
            outcome = _run_xlsx(settings, job, context, tuning)
        else:
            outcome = _run_csv(settings, job, context, tuning)
    except FileRejected as exc:
        logger.info("import file rejected", extra={"import_id": import_id, "code": exc.code})
        store.fail_import(job, code=exc.code, reason=exc.message, now=to_iso(utcnow()))
        return "failed"
    except store.CheckpointMoved:
        return "continued"  # committed by an earlier delivery: resume from the stored checkpoint
    if outcome != "finished":
        return outcome
    return _finish(settings, import_id)


def _run_csv(settings: Settings, job: store.ImportModel, context: LambdaContext, tuning: Tuning) -> str:
    etag = str(job.source_etag)
    if not job.next_row:
        encoding = inspect_csv(lambda: store.upload_stream(settings, job.object_key, etag=etag))
        with _closing(store.upload_stream(settings, job.object_key, etag=etag)) as stream:
            header = next(csv_records(stream, encoding=encoding, start_byte=0, start_row=1), None)
        if header is None:
            raise FileRejected("the file is empty: the first row must be the header", code="bad_header")
        layout = map_header(header.cells)
        store.record_file_layout(
            job,
            encoding=encoding,
            columns=list(layout.columns),
            next_row=2,
            next_byte=header.end_byte,
            total_rows=None,
            now=to_iso(utcnow()),
        )
        job = store.get_import(job.import_id)
    with _closing(store.upload_stream(settings, job.object_key, etag=etag, start=int(job.next_byte))) as stream:
        records = csv_records(
            stream, encoding=str(job.encoding), start_byte=int(job.next_byte), start_row=int(job.next_row)
        )
        return _import_records(settings, job, HeaderMap(tuple(store.column_layout(job))), records, context, tuning)


def _run_xlsx(settings: Settings, job: store.ImportModel, context: LambdaContext, tuning: Tuning) -> str:
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        store.download_upload(settings, job.object_key, path)
        workbook = xlsx_workbook(path)
        try:
            if not job.next_row:
                total_rows = xlsx_dimension(workbook)
                header = next(xlsx_records(workbook, start_row=1), None)
                if header is None or header.row_number != 1:
                    raise FileRejected("the first row of the first sheet must be the header", code="bad_header")
                layout = map_header(header.cells)
                store.record_file_layout(
                    job,
                    encoding=None,
                    columns=list(layout.columns),
                    next_row=2,
                    next_byte=0,
                    total_rows=total_rows,
                    now=to_iso(utcnow()),
                )
                job = store.get_import(job.import_id)
            records = xlsx_records(workbook, start_row=int(job.next_row))
            return _import_records(settings, job, HeaderMap(tuple(store.column_layout(job))), records, context, tuning)
        finally:
            workbook.close()
    finally:
        os.unlink(path)


class _closing:
    """Close a botocore streaming body however the block ends."""

    def __init__(self, stream: Any):
        self.stream = stream

    def __enter__(self) -> Any:
        return self.stream

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


class _Projects:
    """Projects named in the file, looked up once per slice."""

    def __init__(self, org_id: str):
        self.org_id = org_id
        self.known: dict[str, ProjectAccess | None] = {}

    def access(self, project_id: str) -> ProjectAccess | None:
        if project_id not in self.known:
            facts = store.project_facts(project_id)
            self.known[project_id] = (
                None
                if facts is None
                else ProjectAccess(
                    project_id=facts.project_id,
                    org_id=facts.org_id,
                    counter_shards=max(1, facts.counter_shards),
                    accepts_imports=self.org_id in (facts.org_id, facts.executor_org_id)
                    and facts.status not in CLOSED_TO_IMPORTS,
                )
            )
        return self.known[project_id]


def _chunks(records: Iterator[Record], layout: HeaderMap, size: int) -> Iterator[list[Record]]:
    """Chunks of ``size`` records, cut early so that one chunk names at most 99 projects
    (its commit is one transaction of at most 100 items)."""
    position = layout.columns.index("project_id")
    chunk: list[Record] = []
    projects: set[str] = set()
    for record in records:
        project = cell_text(record.cells[position]) if position < len(record.cells) else ""
        if project not in projects and len(projects) == MAX_PROJECTS_PER_CHUNK:
            yield chunk
            chunk, projects = [], set()
        chunk.append(record)
        projects.add(project)
        if len(chunk) == size:
            yield chunk
            chunk, projects = [], set()
    if chunk:
        yield chunk


def _import_records(
    settings: Settings,
    job: store.ImportModel,
    layout: HeaderMap,
    records: Iterator[Record],
    context: LambdaContext,
    tuning: Tuning,
) -> str:
    projects = _Projects(job.org_id)
    hash_key = _phone_hash_key(settings)
    start_row, chunk_index = int(job.next_row), int(job.chunks_committed or 0)
    for chunk in _chunks(records, layout, tuning.chunk_rows):
        if context.get_remaining_time_in_millis() < tuning.stop_margin_ms:
            return "continued"
        commit = import_chunk(
            settings,
            job,
            layout,
            chunk,
            start_row=start_row,
            chunk_index=chunk_index,
            projects=projects,
            hash_key=hash_key,
        )
        start_row, chunk_index = commit.end_row, chunk_index + 1
    return "finished"


def _phone_hash_key(settings: Settings) -> str:
    from chalicelib.secrets import get_secret  # noqa: PLC0415

    return get_secret(settings, settings.phone_hash_key_name, local_value=settings.phone_hash_key)


def import_chunk(
    settings: Settings,
    job: store.ImportModel,
    layout: HeaderMap,
    chunk: list[Record],
    *,
    start_row: int,
    chunk_index: int,
    projects: _Projects,
    hash_key: str,
) -> store.ChunkCommit:
    """Validate, dedupe, write and commit one chunk (see the module docstring)."""
    now = utcnow()
    valid: list[ValidRow] = []
    rejected: list[store.RejectedRow] = []
    for record in chunk:
        cells = layout.row(record.cells)
        result = validate_row(record.row_number, cells, project_access=projects.access, now=now)
        if isinstance(result, ValidRow):
            valid.append(result)
        else:
            rejected.append(
                store.RejectedRow(
                    row_number=record.row_number,
                    columns=[p.column for p in result],
                    values=[p.value for p in result],
                    reasons=[p.reason for p in result],
                    raw={name: cell_text(value) for name, value in cells.items()},
                )
            )

    duplicates = 0
    candidates: dict[str, ValidRow] = {}
    for row in valid:
        donation_id = store.imported_donation_id(job.org_id, row.external_ref)
        if donation_id in candidates:
            duplicates += 1  # the same reference twice in this chunk
        else:
            candidates[donation_id] = row
    existing = store.existing_donations(settings, list(candidates))

    imported_at = to_iso(now)
    new: list[store.ImportedDonation] = []
    counted: list[ValidRow] = []
    for donation_id, row in candidates.items():
        writer = existing.get(donation_id)
        if writer is not None and writer != (job.import_id, row.row_number):
            duplicates += 1
            continue
        counted.append(row)
        if writer is None:
            new.append(_donation(donation_id, row, job, chunk_index, imported_at, hash_key))
        # else: written by this row in a run that crashed before its commit; counted now, not rewritten.

    store.put_donations(settings, new)
    store.put_rejected_rows(settings, job.import_id, rejected)

    counters: dict[tuple[str, int], tuple[int, int]] = {}
    for row in counted:
        key = (row.project.project_id, chunk_index % row.project.counter_shards)
        amount, count = counters.get(key, (0, 0))
        counters[key] = (amount + row.amount_fen, count + 1)
    commit = store.ChunkCommit(
        start_row=start_row,
        end_row=chunk[-1].row_number + 1,
        end_byte=chunk[-1].end_byte,
        rows_read=len(chunk),
        rows_imported=len(counted),
        rows_duplicate=duplicates,
        rows_rejected=len(rejected),
        amount_fen=sum(r.amount_fen for r in counted),
        counters=counters,
    )
    store.commit_chunk(settings, job.import_id, commit, now=imported_at)
    return commit


def _donation(
    donation_id: str, row: ValidRow, job: store.ImportModel, chunk_index: int, imported_at: str, hash_key: str
) -> store.ImportedDonation:
    return store.ImportedDonation(
        donation_id=donation_id,
        project_id=row.project.project_id,
        org_id=row.project.org_id,
        shard=chunk_index % row.project.counter_shards,
        amount_fen=row.amount_fen,
        donor_name=row.donor_name,
        donor_phone=row.phone,
        phone_hash=phone_hash(hash_key, row.phone) if row.phone else None,
        anonymous=row.anonymous,
        message=row.message,
        source_channel=row.source_channel,
        external_ref=row.external_ref,
        paid_at=to_iso(row.paid_at),
        paid_month=paid_month(row.paid_at),
        imported_at=imported_at,
        import_id=job.import_id,
        import_row=row.row_number,
    )


def _finish(settings: Settings, import_id: str) -> str:
    job = store.get_import(import_id)
    if job.status != "processing":
        return str(job.status)
    key = write_error_report(settings, job) if job.rows_rejected else None
    status = "completed_with_errors" if job.rows_rejected else "completed"
    store.finish_import(job, status=status, error_report_key=key, now=to_iso(utcnow()))
    logger.info(
        "import finished",
        extra={
            "import_id": import_id,
            "status": status,
            "imported": int(job.rows_imported),
            "rejected": int(job.rows_rejected),
        },
    )
    return status
