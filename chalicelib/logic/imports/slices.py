"""One slice of an import: read its file from the checkpoint, import chunks, finish.

The first slice of a file also reads its header (and, for CSV, decides its
encoding) and records the layout with the checkpoint just after the header.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.imports import checkpoints, files, jobs
from chalicelib.logic.imports.chunks import LambdaContext, Tuning, import_records
from chalicelib.logic.imports.columns import FileRejected, HeaderMap, map_header
from chalicelib.logic.imports.readers import csv_records, inspect_csv, xlsx_dimension, xlsx_records, xlsx_workbook
from chalicelib.logic.imports.report import write_error_report
from chalicelib.observability import logger


def advance(settings: Settings, import_id: str, context: LambdaContext, tuning: Tuning) -> str:
    """Import from the checkpoint while time allows (the caller holds the charity's lane)."""
    job = jobs.get_import(import_id)
    if job.status != "processing":
        return "ignored"
    jobs.count_invocation(job)
    try:
        if job.file_format == "xlsx":
            outcome = _run_xlsx(settings, job, context, tuning)
        else:
            outcome = _run_csv(settings, job, context, tuning)
    except FileRejected as exc:
        logger.info("import file rejected", extra={"import_id": import_id, "code": exc.code})
        jobs.fail_import(job, code=exc.code, reason=exc.message, now=to_iso(utcnow()))
        return "failed"
    except checkpoints.CheckpointMoved:
        return "continued"  # committed by an earlier delivery: resume from the stored checkpoint
    if outcome != "finished":
        return outcome
    return _finish(settings, import_id)


def _run_csv(settings: Settings, job: jobs.ImportModel, context: LambdaContext, tuning: Tuning) -> str:
    etag = str(job.source_etag)
    if not job.next_row:
        encoding = inspect_csv(lambda: files.upload_stream(settings, job.object_key, etag=etag))
        with contextlib.closing(files.upload_stream(settings, job.object_key, etag=etag)) as stream:
            header = next(csv_records(stream, encoding=encoding, start_byte=0, start_row=1), None)
        if header is None:
            raise FileRejected("the file is empty: the first row must be the header", code="bad_header")
        job = _record_layout(job, header.cells, encoding=encoding, next_byte=header.end_byte, total_rows=None)
    start = int(job.next_byte)
    with contextlib.closing(files.upload_stream(settings, job.object_key, etag=etag, start=start)) as stream:
        records = csv_records(stream, encoding=str(job.encoding), start_byte=start, start_row=int(job.next_row))
        return import_records(settings, job, HeaderMap(tuple(jobs.column_layout(job))), records, context, tuning)


def _run_xlsx(settings: Settings, job: jobs.ImportModel, context: LambdaContext, tuning: Tuning) -> str:
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        files.download_upload(settings, job.object_key, path)
        workbook = xlsx_workbook(path)
        try:
            if not job.next_row:
                total_rows = xlsx_dimension(workbook)
                header = next(xlsx_records(workbook, start_row=1), None)
                if header is None or header.row_number != 1:
                    raise FileRejected("the first row of the first sheet must be the header", code="bad_header")
                job = _record_layout(job, header.cells, encoding=None, next_byte=0, total_rows=total_rows)
            records = xlsx_records(workbook, start_row=int(job.next_row))
            return import_records(settings, job, HeaderMap(tuple(jobs.column_layout(job))), records, context, tuning)
        finally:
            workbook.close()
    finally:
        os.unlink(path)


def _record_layout(
    job: jobs.ImportModel, header: Sequence[object], *, encoding: str | None, next_byte: int, total_rows: int | None
) -> jobs.ImportModel:
    """Map the header, store the layout with the checkpoint on row 2, and return the job as stored."""
    layout = map_header(header)
    jobs.record_file_layout(
        job,
        encoding=encoding,
        columns=list(layout.columns),
        next_row=2,
        next_byte=next_byte,
        total_rows=total_rows,
        now=to_iso(utcnow()),
    )
    return jobs.get_import(job.import_id)


def _finish(settings: Settings, import_id: str) -> str:
    job = jobs.get_import(import_id)
    if job.status != "processing":
        return str(job.status)
    key = write_error_report(settings, job) if job.rows_rejected else None
    status = "completed_with_errors" if job.rows_rejected else "completed"
    jobs.finish_import(job, status=status, error_report_key=key, now=to_iso(utcnow()))
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
