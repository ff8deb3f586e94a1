"""`make import` over HTTP against a whole local stack: declare, upload to the presigned URL,
the bucket notification reaches the queue, the pump runs the worker, the status is polled."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import requests

from scripts.import_file import run

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "imports"
ORG = "ORG-E2E-IMPORTS"


def _run(stack, name: str) -> dict:
    token = stack.token("org_admin", org_id=ORG)
    return run(
        api_url=stack.api_url,
        aws_url=stack.aws_url,
        path=SAMPLES / name,
        org_id=ORG,
        token=token,
        timeout=120,
        quiet=True,
    )


def test_make_import_flow_imports_the_samples_once(stack):
    # Given the local stack, when the UTF-8 sample is imported
    first = _run(stack, "donations_utf8.csv")
    # Then every row is a donation
    assert first["status"] == "completed", first
    assert first["rows"] == {"read": 4, "imported": 4, "skipped_duplicates": 0, "rejected": 0}
    assert first["amount_imported_fen"] == 123450 + 123450 + 8800 + 10_000_000
    # When the same file is uploaded again, then nothing is imported twice
    again = _run(stack, "donations_utf8.csv")
    assert again["rows"]["skipped_duplicates"] == 4 and again["rows"]["imported"] == 0
    # And the GBK and XLSX samples import too
    assert _run(stack, "donations_gbk.csv")["rows"]["imported"] == 4
    assert _run(stack, "donations_en.xlsx")["rows"]["imported"] == 2


def test_make_import_reports_rejected_rows_with_a_downloadable_report(stack):
    view = _run(stack, "donations_with_errors.csv")
    assert view["status"] == "completed_with_errors"
    assert view["rows"]["imported"] == 1 and view["rows"]["rejected"] == 3
    report = requests.get(view["error_report_url"], timeout=30)
    assert report.status_code == 200
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["3", "4", "5"]
    assert all(line[3] for line in lines[1:]), "every rejected row says why"
