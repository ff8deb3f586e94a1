"""Import a donations file on the local stack, the way a charity's browser would.

    python -m scripts.import_file --file samples/imports/donations_utf8.csv --org ORG-DEMO
    make import FILE=samples/imports/donations_utf8.csv ORG=ORG-DEMO

1. POST /imports with a local org_admin token for ORG -> import id + presigned PUT URL;
2. PUT the file to S3 (the embedded moto) with that URL;
3. the bucket notifies the imports queue (moto delivers S3 notifications to SQS in
   server mode); if the import is still waiting after a few seconds, this script puts
   the S3-event-shaped message on the queue itself (the worker ignores a duplicate);
4. the local pump (scripts/local_workers.py, started by `make run`) hands the message
   to the import worker; this script polls GET /imports/{id} and prints progress.

The sample files name the project SAMPLE-PROJECT-1; on the local stack this script
creates it for ORG when it is missing, so the samples work on a fresh `make run`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE_PROJECT = "SAMPLE-PROJECT-1"
TERMINAL = {"completed", "completed_with_errors", "failed"}


def _local_settings(aws_url: str) -> Any:
    from chalicelib.config import load_settings
    from chalicelib.dal.base import bind_models
    from infra.build import stage_environment

    settings = load_settings(stage_environment("local", {"GONGYI_AWS_ENDPOINT": aws_url, "GONGYI_JWKS_URL": "unused"}))
    bind_models(settings)
    return settings


def ensure_sample_project(aws_url: str, org_id: str) -> None:
    """Create SAMPLE-PROJECT-1 for ``org_id`` in the local stack's tables if it is missing."""
    _local_settings(aws_url)
    from chalicelib.clock import to_iso, utcnow
    from chalicelib.dal.projects import ProjectModel

    try:
        ProjectModel.get(SAMPLE_PROJECT)
        return
    except ProjectModel.DoesNotExist:
        pass
    now = to_iso(utcnow())
    ProjectModel(
        SAMPLE_PROJECT,
        org_id=org_id,
        title="示例项目：乡村儿童营养午餐",
        summary="导入示例",
        description="导入示例项目",
        category="education",
        province="云南省",
        city="昭通市",
        beneficiary="山区小学学生",
        target_fen=100_000_000,
        start_date="2026-01-01",
        end_date="2027-12-31",
        start_at="2025-12-31T16:00:00.000000Z",
        end_at="2027-12-31T15:59:59.000000Z",
        filing_number="SAMPLE-FILING-1",
        status="online",
        counter_shards=10,
        created_by="import-sample",
        created_at=now,
        updated_at=now,
    ).save()
    print(f"created {SAMPLE_PROJECT} for {org_id} on the local stack")


def deliver_s3_event(aws_url: str, declared: dict[str, Any]) -> None:
    """Put the S3 ObjectCreated event on the imports queue, as the bucket notification would."""
    from chalicelib.dal.aws import aws_client, queue_url

    settings = _local_settings(aws_url)
    key = declared["object_key"]
    head = aws_client(settings, "s3").head_object(Bucket=settings.imports_bucket, Key=key)
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": settings.imports_bucket},
            "object": {"key": key, "size": head["ContentLength"], "eTag": head["ETag"].strip('"')},
        },
    }
    aws_client(settings, "sqs").send_message(
        QueueUrl=queue_url(settings, "imports"), MessageBody=json.dumps({"Records": [record]})
    )
    print("sent the S3 event to the imports queue")


def run(
    *, api_url: str, aws_url: str, path: Path, org_id: str, token: str, timeout: float = 3600, quiet: bool = False
) -> dict[str, Any]:
    """The whole flow; returns the final GET /imports/{id} body."""
    say = (lambda *a, **k: None) if quiet else print
    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    is_sample = path.resolve().parent == ROOT / "samples" / "imports"
    if is_sample or (fmt == "csv" and SAMPLE_PROJECT.encode() in path.read_bytes()[:1_000_000]):
        ensure_sample_project(aws_url, org_id)
    response = requests.post(
        f"{api_url}/imports",
        headers=headers,
        json={"file_name": path.name, "format": fmt, "org_id": org_id},
        timeout=30,
    )
    if response.status_code != 201:
        raise SystemExit(f"POST /imports answered {response.status_code}: {response.text}")
    declared = response.json()
    import_id = declared["import_id"]
    declared["object_key"] = requests.utils.urlparse(declared["upload_url"]).path.split("/", 2)[2]
    say(f"import {import_id}: uploading {path} ({path.stat().st_size:,} bytes)")
    with path.open("rb") as body:
        put = requests.put(declared["upload_url"], data=body, headers=declared["upload_headers"], timeout=600)
    if put.status_code != 200:
        raise SystemExit(f"upload failed: {put.status_code} {put.text[:300]}")
    started, nudged, last = time.monotonic(), False, ""
    while True:
        view = requests.get(f"{api_url}/imports/{import_id}", headers=headers, timeout=30).json()
        rows = view["rows"]
        line = (
            f"{view['status']:<22} {view['progress'] * 100:5.1f}%  read {rows['read']:,}  imported {rows['imported']:,}"
            f"  duplicates {rows['skipped_duplicates']:,}  rejected {rows['rejected']:,}"
        )
        if line != last:
            say(line, flush=True)
            last = line
        if view["status"] in TERMINAL:
            break
        if view["status"] == "waiting_upload" and not nudged and time.monotonic() - started > 5:
            deliver_s3_event(aws_url, declared)  # moto did not notify: do what S3 would
            nudged = True
        if time.monotonic() - started > timeout:
            raise SystemExit(f"import {import_id} did not finish within {timeout:.0f}s (is `make run` running?)")
        time.sleep(1)
    if view.get("failure_reason"):
        say(f"failed: {view['failure_code']}: {view['failure_reason']}")
    if view.get("error_report_url"):
        say(f"error report (fix the rows and upload it again): {view['error_report_url']}")
    return dict(view)


def main(argv: list[str] | None = None) -> int:
    from scripts.local_stack import DEFAULT_API_PORT, DEFAULT_AWS_PORT, local_token

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", required=True, type=Path)
    parser.add_argument("--org", required=True, help="the uploading charity's org_id")
    parser.add_argument("--api", default=f"http://127.0.0.1:{DEFAULT_API_PORT}")
    parser.add_argument("--aws", default=f"http://127.0.0.1:{DEFAULT_AWS_PORT}")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"no such file: {args.file}")
    token = local_token("org_admin", org_id=args.org)
    view = run(api_url=args.api, aws_url=args.aws, path=args.file, org_id=args.org, token=token)
    return {"completed": 0, "completed_with_errors": 0}.get(view["status"], 1)


if __name__ == "__main__":
    raise SystemExit(main())
