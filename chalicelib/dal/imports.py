"""Bulk imports: import jobs, the per-charity import lane, rejected rows, and the
S3/SQS/DynamoDB calls the import worker makes.

Exactly-once, in storage terms:

- An imported donation's id is derived from (uploading charity, external
  reference) (``imported_donation_id``): the donation item *is* the dedupe key.
  Before writing a chunk the worker reads those ids (BatchGetItem); an existing
  item written by another row or another import is a duplicate.
- Only one import of a charity runs at a time (``ImportLaneModel``, a lease
  taken with a conditional write), so nothing can write the same dedupe key
  between that read and the BatchWriteItem that follows; payments never
  produce these ids.
- A chunk's totals go into the sharded counters in the same transaction that
  moves the job's checkpoint, conditioned on the checkpoint being where the
  chunk started (``commit_chunk``): a chunk is counted once or not at all.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from ulid import ULID

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client, queue_url
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.totals import ProjectCounterModel
from chalicelib.errors import Conflict, NotFound

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100


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


class ImportLaneModel(GongyiModel):
    """One item per charity while one of its imports runs: a lease, so that a
    charity's imports never write its dedupe keys concurrently."""

    table_suffix = "import-lanes"

    class Meta:
        table_name = "unbound"

    org_id = UnicodeAttribute(hash_key=True)
    holder = UnicodeAttribute()  # a token unique to the invocation holding the lane
    import_id = UnicodeAttribute()
    lease_until = UnicodeAttribute()  # UTC ISO; the holder stops well before


class RawRow(MapAttribute):  # type: ignore[type-arg]
    """The rejected row as uploaded, by canonical column name (for the error report)."""


class ImportRowErrorModel(GongyiModel):
    """A rejected row of an import: keyed on (import, row) so rewriting it is harmless."""

    table_suffix = "import-row-errors"

    class Meta:
        table_name = "unbound"

    import_id = UnicodeAttribute(hash_key=True)
    row_number = NumberAttribute(range_key=True)
    columns = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    values = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    reasons = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    raw = MapAttribute(default=dict)  # type: ignore[var-annotated]


class UnprocessedItems(Exception):
    """BatchWriteItem left items unprocessed (throttling); retried with backoff."""


class CheckpointMoved(Conflict):
    """The job's checkpoint is not where this chunk started: another run committed it."""

    code = "import_checkpoint_moved"


# -- keys ------------------------------------------------------------------------------------


def imported_donation_id(org_id: str, external_ref: str) -> str:
    """The donation id of (uploading charity, external reference): the import dedupe key.

    A ULID-shaped value from a hash, so the same reference in any later file of the
    same charity maps to the same item, and nobody can enumerate ids.
    """
    digest = hashlib.sha256(f"gongyi-import\x00{org_id}\x00{external_ref}".encode()).digest()
    return str(ULID.from_bytes(digest[:16]))


# -- jobs ------------------------------------------------------------------------------------


def create_import(job: ImportModel) -> ImportModel:
    try:
        job.save(condition=ImportModel.import_id.does_not_exist())
    except PutError as exc:  # a ULID collision: practically impossible
        raise Conflict("this import exists already") from exc
    return job


def import_id_for_request(org_id: str, sub: str, idempotency_key: str) -> str:
    """The import id a client's ``Idempotency-Key`` maps to (per charity and caller)."""
    digest = hashlib.sha256(f"gongyi-import-request\x00{org_id}\x00{sub}\x00{idempotency_key}".encode()).digest()
    return str(ULID.from_bytes(digest[:16]))


def find_import(import_id: str) -> ImportModel | None:
    try:
        return ImportModel.get(import_id, consistent_read=True)
    except DoesNotExist:
        return None


def get_import(import_id: str) -> ImportModel:
    try:
        return ImportModel.get(import_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such import", code="import_not_found") from None


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
    with contextlib.suppress(UpdateError):  # finished already by an earlier delivery
        job.update(actions=actions, condition=ImportModel.status == "processing")


def fail_import(job: ImportModel, *, code: str, reason: str, now: str) -> None:
    with contextlib.suppress(UpdateError):
        job.update(
            actions=[
                ImportModel.status.set("failed"),
                ImportModel.failure_code.set(code),
                ImportModel.failure_reason.set(reason),
                ImportModel.finished_at.set(now),
                ImportModel.updated_at.set(now),
            ],
            condition=ImportModel.status == "processing",
        )


# -- the lane ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaneHeld:
    org_id: str
    holder: str


def acquire_lane(org_id: str, import_id: str, *, holder: str, lease_until: str, now: str) -> LaneHeld | str:
    """Take the charity's import lane; returns the lane, or the import id that holds it."""
    lane = ImportLaneModel(org_id, holder=holder, import_id=import_id, lease_until=lease_until)
    try:
        lane.save(condition=ImportLaneModel.org_id.does_not_exist() | (ImportLaneModel.lease_until < now))
    except PutError as exc:
        if not _conditional_failure(exc):
            raise
        try:
            return str(ImportLaneModel.get(org_id, consistent_read=True).import_id)
        except DoesNotExist:
            return acquire_lane(org_id, import_id, holder=holder, lease_until=lease_until, now=now)
    return LaneHeld(org_id, holder)


def release_lane(lane: LaneHeld) -> None:
    # A lost release only delays the charity's next import until the lease ends.
    with contextlib.suppress(Exception):
        ImportLaneModel(lane.org_id).delete(condition=ImportLaneModel.holder == lane.holder)


def _conditional_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


# -- donations and rejected rows: batched writes -------------------------------------------


@functools.cache
def _dynamodb(settings: Settings) -> Any:
    """The import worker's DynamoDB client. botocore's client-side parameter validation is
    off: the requests are built here, and validating 25 items per call costs more CPU than
    the rest of the worker's per-row work (the service still validates everything)."""
    import boto3  # noqa: PLC0415

    config = Config(retries={"mode": "standard", "max_attempts": 8}, parameter_validation=False)
    return boto3.client(
        "dynamodb", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=config
    )


def existing_donations(settings: Settings, donation_ids: list[str]) -> dict[str, tuple[str | None, int | None]]:
    """For the ids that exist: (import_id, import_row) of the row that wrote them."""
    client = _dynamodb(settings)
    table = DonationModel.Meta.table_name
    found: dict[str, tuple[str | None, int | None]] = {}
    for start in range(0, len(donation_ids), BATCH_GET_LIMIT):
        keys = [{"donation_id": {"S": i}} for i in dict.fromkeys(donation_ids[start : start + BATCH_GET_LIMIT])]
        request: dict[str, Any] = {
            table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "donation_id, import_id, import_row"}
        }
        for attempt in _retrying():
            with attempt:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    row = item.get("import_row", {}).get("N")
                    found[item["donation_id"]["S"]] = (item.get("import_id", {}).get("S"), int(row) if row else None)
                unprocessed = response.get("UnprocessedKeys", {})
                if unprocessed:
                    request = unprocessed
                    raise UnprocessedItems(f"{len(unprocessed[table]['Keys'])} keys unprocessed")
    return found


def _retrying() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(UnprocessedItems),
        wait=wait_exponential_jitter(initial=0.05, max=5),
        stop=stop_after_attempt(10),
        reraise=True,
    )


def batch_put(settings: Settings, table: str, items: Iterable[dict[str, Any]]) -> int:
    """Write ``items`` (DynamoDB JSON) with BatchWriteItem, 25 at a time, retrying
    UnprocessedItems with exponential backoff and jitter. Returns the count written."""
    client = _dynamodb(settings)
    written = 0
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == BATCH_WRITE_LIMIT:
            written += _write_batch(client, table, batch)
            batch = []
    if batch:
        written += _write_batch(client, table, batch)
    return written


def _write_batch(client: Any, table: str, batch: list[dict[str, Any]]) -> int:
    pending = batch
    for attempt in _retrying():
        with attempt:
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if pending:
                raise UnprocessedItems(f"{len(pending)} items unprocessed")
    return len(batch)


@dataclass(frozen=True)
class ImportedDonation:
    donation_id: str
    project_id: str
    org_id: str  # the charity raising the money (the project's)
    shard: int
    amount_fen: int
    donor_name: str | None
    donor_phone: str | None
    phone_hash: str | None
    anonymous: bool
    message: str | None
    source_channel: str | None
    external_ref: str
    paid_at: str
    paid_month: str  # YYYY-MM in Asia/Shanghai
    imported_at: str
    import_id: str
    import_row: int

    def item(self) -> dict[str, Any]:
        """DynamoDB JSON of the DonationModel item (a paid donation, channel ``import``)."""
        item: dict[str, Any] = {
            "donation_id": {"S": self.donation_id},
            "project_id": {"S": self.project_id},
            "org_id": {"S": self.org_id},
            "shard": {"N": str(self.shard)},
            "project_shard": {"S": f"{self.project_id}#{self.shard}"},
            "amount_fen": {"N": str(self.amount_fen)},
            "anonymous": {"BOOL": self.anonymous},
            "channel": {"S": "import"},
            "status": {"S": "paid"},
            "external_ref": {"S": self.external_ref},
            # Lists sort by created_at: an imported donation sits where it was given.
            "created_at": {"S": self.paid_at},
            "paid_at": {"S": self.paid_at},
            "paid_month_shard": {"S": f"{self.paid_month}#{self.shard}"},
            "imported_at": {"S": self.imported_at},
            "import_id": {"S": self.import_id},
            "import_row": {"N": str(self.import_row)},
        }
        optional = {
            "donor_name": self.donor_name,
            "donor_phone": self.donor_phone,
            "phone_hash": self.phone_hash,
            "message": self.message,
            "source_channel": self.source_channel,
        }
        item.update({name: {"S": value} for name, value in optional.items() if value})
        return item


def put_donations(settings: Settings, donations: list[ImportedDonation]) -> int:
    return batch_put(settings, DonationModel.Meta.table_name, (d.item() for d in donations))


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    columns: list[str]
    values: list[str]
    reasons: list[str]
    raw: dict[str, str] = field(default_factory=dict)


def put_rejected_rows(settings: Settings, import_id: str, rows: list[RejectedRow]) -> int:
    def item(row: RejectedRow) -> dict[str, Any]:
        return {
            "import_id": {"S": import_id},
            "row_number": {"N": str(row.row_number)},
            "columns": {"L": [{"S": c} for c in row.columns]},
            "values": {"L": [{"S": v} for v in row.values]},
            "reasons": {"L": [{"S": r} for r in row.reasons]},
            "raw": {"M": {k: {"S": v} for k, v in row.raw.items()}},
        }

    return batch_put(settings, ImportRowErrorModel.Meta.table_name, (item(r) for r in rows))


def rejected_rows(import_id: str) -> Iterator[RejectedRow]:
    """Every rejected row of an import, by row number (paginated Query)."""
    for found in ImportRowErrorModel.query(import_id, consistent_read=True):
        raw = found.raw.as_dict() if found.raw else {}
        yield RejectedRow(
            int(found.row_number),
            [str(c) for c in found.columns],
            [str(v) for v in found.values],
            [str(r) for r in found.reasons],
            dict(raw),
        )


# -- committing a chunk: checkpoint + totals in one transaction ----------------------------


@dataclass(frozen=True)
class ChunkCommit:
    start_row: int
    end_row: int  # the next row after the chunk
    end_byte: int
    rows_read: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int
    amount_fen: int
    # (project_id, shard) -> (amount_fen, donations)
    counters: dict[tuple[str, int], tuple[int, int]]


def commit_chunk(settings: Settings, import_id: str, commit: ChunkCommit, *, now: str) -> None:
    """Advance the checkpoint past the chunk and add its totals, atomically and once.

    Raises ``CheckpointMoved`` when the job's checkpoint is not at ``commit.start_row``.
    """
    if len(commit.counters) > TRANSACTION_LIMIT - 1:
        raise ValueError("a chunk may touch at most 99 counter shards")
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": ImportModel.Meta.table_name,
                "Key": {"import_id": {"S": import_id}},
                "UpdateExpression": (
                    "SET next_row = :end, next_byte = :byte, updated_at = :now "
                    "ADD rows_read :read, rows_imported :imported, rows_duplicate :dup, rows_rejected :rejected, "
                    "amount_imported_fen :amount, chunks_committed :one"
                ),
                "ConditionExpression": "next_row = :start AND #status = :processing",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":end": {"N": str(commit.end_row)},
                    ":byte": {"N": str(commit.end_byte)},
                    ":now": {"S": now},
                    ":read": {"N": str(commit.rows_read)},
                    ":imported": {"N": str(commit.rows_imported)},
                    ":dup": {"N": str(commit.rows_duplicate)},
                    ":rejected": {"N": str(commit.rows_rejected)},
                    ":amount": {"N": str(commit.amount_fen)},
                    ":one": {"N": "1"},
                    ":start": {"N": str(commit.start_row)},
                    ":processing": {"S": "processing"},
                },
            }
        }
    ]
    for (project_id, shard), (amount, count) in sorted(commit.counters.items()):
        items.append(
            {
                "Update": {
                    "TableName": ProjectCounterModel.Meta.table_name,
                    "Key": {"counter_key": {"S": ProjectCounterModel.key(project_id, shard)}},
                    # Each imported donation counts as one donor: other channels carry no
                    # identity that could be matched reliably to online donors.
                    "UpdateExpression": "SET project_id = :pid, #shard = :shard "
                    "ADD amount_fen :amount, donation_count :count, donor_count :count",
                    "ExpressionAttributeNames": {"#shard": "shard"},
                    "ExpressionAttributeValues": {
                        ":amount": {"N": str(amount)},
                        ":count": {"N": str(count)},
                        ":pid": {"S": project_id},
                        ":shard": {"N": str(shard)},
                    },
                }
            }
        )
    token = hashlib.sha256(f"{import_id}:{commit.start_row}".encode()).hexdigest()[:36]
    try:
        _dynamodb(settings).transact_write_items(TransactItems=items, ClientRequestToken=token)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise CheckpointMoved(f"import {import_id} moved past row {commit.start_row}") from None
        raise


# -- S3 and SQS ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredObject:
    etag: str
    size: int
    version: str | None


def head_upload(settings: Settings, key: str) -> StoredObject | None:
    try:
        head = aws_client(settings, "s3").head_object(Bucket=settings.imports_bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(head["ETag"].strip('"'), int(head["ContentLength"]), head.get("VersionId"))


def upload_stream(settings: Settings, key: str, *, etag: str, start: int = 0) -> Any:
    """The upload's bytes from ``start`` as a streaming body; fails if the object changed (If-Match)."""
    s3 = aws_client(settings, "s3")
    params: dict[str, Any] = {"Bucket": settings.imports_bucket, "Key": key, "IfMatch": f'"{etag}"'}
    if start:
        params["Range"] = f"bytes={start}-"
    return s3.get_object(**params)["Body"]


def download_upload(settings: Settings, key: str, path: str) -> None:
    """Copy the upload to a local file, streamed (XLSX needs a seekable file)."""
    aws_client(settings, "s3").download_file(settings.imports_bucket, key, path)


def store_error_report(settings: Settings, key: str, path: str) -> None:
    aws_client(settings, "s3").upload_file(
        path, settings.reports_bucket, key, ExtraArgs={"ContentType": "text/csv; charset=utf-8"}
    )


def send_import_message(settings: Settings, body: dict[str, Any], *, delay_seconds: int = 0) -> None:
    """Put a message on the imports queue (continuations, lane-busy retries)."""
    aws_client(settings, "sqs").send_message(
        QueueUrl=queue_url(settings, "imports"), MessageBody=json.dumps(body), DelaySeconds=delay_seconds
    )


# -- projects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFacts:
    project_id: str
    org_id: str
    executor_org_id: str | None
    status: str
    counter_shards: int


def project_facts(project_id: str) -> ProjectFacts | None:
    """What an import needs of a project, or None when it does not exist."""
    from chalicelib.dal.projects import ProjectModel  # noqa: PLC0415

    try:
        project = ProjectModel.get(
            project_id,
            attributes_to_get=["project_id", "org_id", "executor_org_id", "status", "counter_shards"],
        )
    except DoesNotExist:
        return None
    return ProjectFacts(
        project.project_id, project.org_id, project.executor_org_id, project.status, int(project.counter_shards or 1)
    )
