"""The error report: the rejected rows as a CSV the charity can fix and upload again.

One line per rejected row: row number, the column(s), value(s) and reason(s),
then the row as uploaded under the standard Chinese headers. The report's own
columns (行号, 错误列, 错误值, 错误原因) are ignored when the file comes back.
Written UTF-8 with a BOM, so Excel on Chinese Windows opens it correctly.
"""

from __future__ import annotations

import csv
import os
import tempfile

from chalicelib.config import Settings
from chalicelib.dal.imports import files, jobs, rows
from chalicelib.logic.imports.columns import COLUMNS, REPORT_COLUMNS


def report_key(org_id: str, import_id: str) -> str:
    # In the reports bucket: an upload under the imports bucket would trigger the worker.
    return f"imports/{org_id}/{import_id}/errors.csv"


def write_error_report(settings: Settings, job: jobs.ImportModel) -> str:
    """Build the report from the stored rejected rows (streamed to /tmp), store it in S3, return its key."""
    present = [c for c in jobs.column_layout(job) if c] or list(COLUMNS)
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([*REPORT_COLUMNS, *(COLUMNS[c][0] for c in present)])
            for row in rows.rejected_rows(job.import_id):
                writer.writerow(
                    [
                        row.row_number,
                        "; ".join(row.columns),
                        "; ".join(row.values),
                        "; ".join(row.reasons),
                        *(row.raw.get(c, "") for c in present),
                    ]
                )
        key = report_key(job.org_id, job.import_id)
        files.store_error_report(settings, key, path)
        return key
    finally:
        os.unlink(path)
