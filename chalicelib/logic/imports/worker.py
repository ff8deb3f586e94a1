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

Modules: this one takes messages and the lane; ``slices`` reads the file from
the checkpoint and finishes the job; ``chunks`` imports one chunk at a time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.imports import files, jobs, lanes
from chalicelib.dal.imports.files import CONTINUE, continuation
from chalicelib.errors import NotFound
from chalicelib.ids import new_id
from chalicelib.logic.imports.chunks import LambdaContext, Tuning
from chalicelib.logic.imports.slices import advance
from chalicelib.observability import logger

LANE_RETRY_DELAY_S = 60
DEFAULT_TUNING = Tuning()

__all__ = ["LANE_RETRY_DELAY_S", "LambdaContext", "Tuning", "continuation", "handle_import_message", "run_slice"]


def handle_import_message(
    settings: Settings, body: dict[str, Any], context: LambdaContext, tuning: Tuning = DEFAULT_TUNING
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
        job = jobs.get_import(import_id)
    except NotFound:
        logger.warning("upload for an unknown import ignored", extra={"import_id": import_id})
        return "ignored"
    if job.org_id != org_id or job.object_key != key:
        logger.warning("upload does not match its import", extra={"import_id": import_id})
        return "ignored"
    if not etag:  # hand-made events: ask S3
        stored = files.head_upload(settings, key)
        if stored is None:
            return "ignored"
        etag, size, version = stored.etag, stored.size, stored.version
    claimed = jobs.claim_upload(import_id, etag=etag, version=version, size=size, now=to_iso(utcnow()))
    if claimed is None:
        logger.warning(
            "a second upload to a claimed import ignored: declare a new import", extra={"import_id": import_id}
        )
        return "ignored"
    return run_slice(settings, import_id, context, tuning)


def run_slice(settings: Settings, import_id: str, context: LambdaContext, tuning: Tuning = DEFAULT_TUNING) -> str:
    """Advance one import as far as this invocation's time allows.

    Returns ``completed``, ``completed_with_errors``, ``failed``, ``continued``,
    ``waiting_for_lane`` (another import of the charity runs; retried later),
    ``already_running`` (this import runs elsewhere) or ``ignored``.
    """
    job = jobs.get_import(import_id)
    if job.status != "processing":
        return "ignored"
    now = utcnow()
    # The lease outlives this invocation (Lambda stops it at its timeout), never the reverse.
    lease_until = now + timedelta(milliseconds=context.get_remaining_time_in_millis()) + timedelta(seconds=30)
    lane = lanes.acquire_lane(job.org_id, import_id, holder=new_id(), lease_until=to_iso(lease_until), now=to_iso(now))
    if isinstance(lane, str):
        if lane == import_id:
            return "already_running"
        files.queue_continuation(settings, import_id, delay_seconds=LANE_RETRY_DELAY_S)
        return "waiting_for_lane"
    try:
        outcome = advance(settings, import_id, context, tuning)
    finally:
        lanes.release_lane(lane)
    if outcome == "continued":
        # After the release: the next slice must find the lane free.
        files.queue_continuation(settings, import_id)
    return outcome
