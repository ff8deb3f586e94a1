"""Committing a chunk: the import's checkpoint and the chunk's totals in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.conditions import item_condition_failed
from chalicelib.dal.imports.jobs import ImportModel
from chalicelib.dal.totals import ProjectCounterModel
from chalicelib.dal.transactions import connection_for
from chalicelib.errors import Conflict

TRANSACTION_LIMIT = 100


class CheckpointMoved(Conflict):
    """The job's checkpoint is not where this chunk started: another run committed it."""

    code = "import_checkpoint_moved"


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


def commit_chunk(import_id: str, commit: ChunkCommit, *, now: str) -> None:
    """Advance the checkpoint past the chunk and add its totals, atomically and once.

    Raises ``CheckpointMoved`` when the job's checkpoint is not at ``commit.start_row``.
    """
    if len(commit.counters) > TRANSACTION_LIMIT - 1:
        raise ValueError("a chunk may touch at most 99 counter shards")
    # The same chunk always sends the same token: a retried request is applied once.
    token = hashlib.sha256(f"{import_id}:{commit.start_row}".encode()).hexdigest()[:36]
    try:
        with TransactWrite(connection=connection_for(ImportModel), client_request_token=token) as transaction:
            transaction.update(
                ImportModel(import_id),
                actions=_checkpoint_actions(commit, now),
                condition=(ImportModel.next_row == commit.start_row) & (ImportModel.status == "processing"),
            )
            for (project_id, shard), (amount, count) in sorted(commit.counters.items()):
                # Each imported donation counts as one donor: other channels carry no
                # identity that could be matched reliably to online donors.
                transaction.update(
                    ProjectCounterModel(ProjectCounterModel.key(project_id, shard)),
                    actions=[
                        *ProjectCounterModel.label_actions(project_id, shard),
                        ProjectCounterModel.amount_fen.add(amount),
                        ProjectCounterModel.imported_fen.add(amount),
                        ProjectCounterModel.donation_count.add(count),
                        ProjectCounterModel.donor_count.add(count),
                    ],
                )
    except TransactWriteError as exc:
        if item_condition_failed(exc, 0):
            raise CheckpointMoved(f"import {import_id} moved past row {commit.start_row}") from None
        raise


def _checkpoint_actions(commit: ChunkCommit, now: str) -> list[Any]:
    return [
        ImportModel.next_row.set(commit.end_row),
        ImportModel.next_byte.set(commit.end_byte),
        ImportModel.updated_at.set(now),
        ImportModel.rows_read.add(commit.rows_read),
        ImportModel.rows_imported.add(commit.rows_imported),
        ImportModel.rows_duplicate.add(commit.rows_duplicate),
        ImportModel.rows_rejected.add(commit.rows_rejected),
        ImportModel.amount_imported_fen.add(commit.amount_fen),
        ImportModel.chunks_committed.add(1),
    ]
