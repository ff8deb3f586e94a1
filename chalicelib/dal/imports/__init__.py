"""Bulk imports: import jobs, the per-charity import lane, rejected rows, chunk
commits, and the S3/SQS/DynamoDB calls the import worker makes.

Exactly-once, in storage terms:

- An imported donation's id is derived from (uploading charity, external
  reference) (``imported_donation_id``): the donation item *is* the dedupe key.
  Before writing a chunk the worker reads those ids (BatchGetItem,
  ``dal.donation_imports.existing_donations``); an existing item written by another
  row or another import is a duplicate.
- Only one import of a charity runs at a time (``ImportLaneModel``, a lease
  taken with a conditional write), so nothing can write the same dedupe key
  between that read and the BatchWriteItem that follows; payments never
  produce these ids.
- A chunk's totals go into the sharded counters in the same transaction that
  moves the job's checkpoint, conditioned on the checkpoint being where the
  chunk started (``commit_chunk``): a chunk is counted once or not at all.

Modules: ``jobs`` (the job, its state and its ids), ``lanes`` (the lease), ``rows``
(rejected rows), ``checkpoints`` (a chunk's checkpoint and totals, one transaction),
``batches`` (BatchGetItem/BatchWriteItem with retries), ``files`` (the upload,
the error report, the continuation message). Importing this package imports
every model module, so ``dal.base.all_models`` finds their tables.
"""

from chalicelib.dal.imports.batches import BATCH_GET_LIMIT, BATCH_WRITE_LIMIT, UnprocessedItems, batch_get, batch_put
from chalicelib.dal.imports.checkpoints import TRANSACTION_LIMIT, CheckpointMoved, ChunkCommit, commit_chunk
from chalicelib.dal.imports.files import (
    CONTINUE,
    StoredObject,
    continuation,
    download_upload,
    head_upload,
    queue_continuation,
    store_error_report,
    upload_stream,
)
from chalicelib.dal.imports.jobs import (
    ImportModel,
    ImportsByOrg,
    claim_upload,
    column_layout,
    count_invocation,
    create_import,
    fail_import,
    find_import,
    finish_import,
    get_import,
    import_id_for_request,
    imported_donation_id,
    list_imports,
    record_file_layout,
)
from chalicelib.dal.imports.lanes import ImportLaneModel, LaneHeld, acquire_lane, release_lane
from chalicelib.dal.imports.rows import ImportRowErrorModel, RawRow, RejectedRow, put_rejected_rows, rejected_rows

__all__ = [
    "BATCH_GET_LIMIT",
    "BATCH_WRITE_LIMIT",
    "CONTINUE",
    "TRANSACTION_LIMIT",
    "CheckpointMoved",
    "ChunkCommit",
    "ImportLaneModel",
    "ImportModel",
    "ImportRowErrorModel",
    "ImportsByOrg",
    "LaneHeld",
    "RawRow",
    "RejectedRow",
    "StoredObject",
    "UnprocessedItems",
    "acquire_lane",
    "batch_get",
    "batch_put",
    "claim_upload",
    "column_layout",
    "commit_chunk",
    "continuation",
    "count_invocation",
    "create_import",
    "download_upload",
    "fail_import",
    "find_import",
    "finish_import",
    "get_import",
    "head_upload",
    "import_id_for_request",
    "imported_donation_id",
    "list_imports",
    "put_rejected_rows",
    "queue_continuation",
    "record_file_layout",
    "rejected_rows",
    "release_lane",
    "store_error_report",
    "upload_stream",
]
