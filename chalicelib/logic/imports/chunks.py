"""Importing records chunk by chunk: validate, dedupe, write, commit (see ``worker``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import donation_imports, projects
from chalicelib.dal.imports import checkpoints, jobs, rows
from chalicelib.logic.imports.columns import HeaderMap
from chalicelib.logic.imports.readers import Record
from chalicelib.logic.imports.rows import ProjectAccess, ValidRow, cell_text, paid_month, validate_row
from chalicelib.privacy import phone_hash

CHUNK_ROWS = 1000
# Stop starting chunks when less than this is left: a chunk takes well under a second on
# DynamoDB, so two minutes leaves room for the slowest chunk, the report and the hand-over.
STOP_MARGIN_MS = 120_000
MAX_PROJECTS_PER_CHUNK = checkpoints.TRANSACTION_LIMIT - 1
CLOSED_TO_IMPORTS = {"draft", "pending_review", "rejected"}


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Tuning:
    chunk_rows: int = CHUNK_ROWS
    stop_margin_ms: int = STOP_MARGIN_MS


class ProjectLookup:
    """Projects named in the file, looked up once per slice."""

    def __init__(self, org_id: str):
        self.org_id = org_id
        self.known: dict[str, ProjectAccess | None] = {}

    def access(self, project_id: str) -> ProjectAccess | None:
        if project_id not in self.known:
            facts = projects.find_project_facts(project_id)
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


def chunked(records: Iterator[Record], layout: HeaderMap, size: int) -> Iterator[list[Record]]:
    """Chunks of ``size`` records, cut early so that one chunk names at most 99 projects
    (its commit is one transaction of at most 100 items)."""
    position = layout.columns.index("project_id")
    chunk: list[Record] = []
    named: set[str] = set()
    for record in records:
        project = cell_text(record.cells[position]) if position < len(record.cells) else ""
        if project not in named and len(named) == MAX_PROJECTS_PER_CHUNK:
            yield chunk
            chunk, named = [], set()
        chunk.append(record)
        named.add(project)
        if len(chunk) == size:
            yield chunk
            chunk, named = [], set()
    if chunk:
        yield chunk


def import_records(
    settings: Settings,
    job: jobs.ImportModel,
    layout: HeaderMap,
    records: Iterator[Record],
    context: LambdaContext,
    tuning: Tuning,
) -> str:
    """Import chunks from the checkpoint on: ``finished``, or ``continued`` when time runs short."""
    lookup = ProjectLookup(job.org_id)
    hash_key = _phone_hash_key(settings)
    start_row, chunk_index = int(job.next_row), int(job.chunks_committed or 0)
    for chunk in chunked(records, layout, tuning.chunk_rows):
        if context.get_remaining_time_in_millis() < tuning.stop_margin_ms:
            return "continued"
        commit = import_chunk(
            settings,
            job,
            layout,
            chunk,
            start_row=start_row,
            chunk_index=chunk_index,
            projects=lookup,
            hash_key=hash_key,
        )
        start_row, chunk_index = commit.end_row, chunk_index + 1
    return "finished"


def _phone_hash_key(settings: Settings) -> str:
    from chalicelib.secrets import get_secret  # noqa: PLC0415

    return get_secret(settings, settings.phone_hash_key_name, local_value=settings.phone_hash_key)


def import_chunk(
    settings: Settings,
    job: jobs.ImportModel,
    layout: HeaderMap,
    chunk: list[Record],
    *,
    start_row: int,
    chunk_index: int,
    projects: ProjectLookup,
    hash_key: str,
) -> checkpoints.ChunkCommit:
    """Validate, dedupe, write and commit one chunk (see the ``worker`` docstring)."""
    now = utcnow()
    valid, rejected = _validate(chunk, layout, projects, now)
    counted, new, duplicates = _dedupe(settings, job, valid, chunk_index, to_iso(now), hash_key)
    donation_imports.put_imported_donations(settings, new)
    rows.put_rejected_rows(settings, job.import_id, rejected)
    commit = checkpoints.ChunkCommit(
        start_row=start_row,
        end_row=chunk[-1].row_number + 1,
        end_byte=chunk[-1].end_byte,
        rows_read=len(chunk),
        rows_imported=len(counted),
        rows_duplicate=duplicates,
        rows_rejected=len(rejected),
        amount_fen=sum(r.amount_fen for r in counted),
        counters=_counters(counted, chunk_index),
    )
    checkpoints.commit_chunk(job.import_id, commit, now=to_iso(now))
    return commit


def _validate(
    chunk: list[Record], layout: HeaderMap, projects: ProjectLookup, now: datetime
) -> tuple[list[ValidRow], list[rows.RejectedRow]]:
    valid: list[ValidRow] = []
    rejected: list[rows.RejectedRow] = []
    for record in chunk:
        cells = layout.row(record.cells)
        result = validate_row(record.row_number, cells, project_access=projects.access, now=now)
        if isinstance(result, ValidRow):
            valid.append(result)
        else:
            rejected.append(
                rows.RejectedRow(
                    row_number=record.row_number,
                    columns=[p.column for p in result],
                    values=[p.value for p in result],
                    reasons=[p.reason for p in result],
                    raw={name: cell_text(value) for name, value in cells.items()},
                )
            )
    return valid, rejected


def _dedupe(
    settings: Settings,
    job: jobs.ImportModel,
    valid: list[ValidRow],
    chunk_index: int,
    imported_at: str,
    hash_key: str,
) -> tuple[list[ValidRow], list[donation_imports.ImportedDonation], int]:
    """The rows to count, the donations to write, and how many rows were duplicates."""
    duplicates = 0
    candidates: dict[str, ValidRow] = {}
    for row in valid:
        donation_id = jobs.imported_donation_id(job.org_id, row.external_ref)
        if donation_id in candidates:
            duplicates += 1  # the same reference twice in this chunk
        else:
            candidates[donation_id] = row
    existing = donation_imports.existing_donations(settings, list(candidates))
    new: list[donation_imports.ImportedDonation] = []
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
    return counted, new, duplicates


def _counters(counted: list[ValidRow], chunk_index: int) -> dict[tuple[str, int], tuple[int, int]]:
    """(project_id, shard) -> (amount_fen, donations) of the chunk's counted rows."""
    counters: dict[tuple[str, int], tuple[int, int]] = {}
    for row in counted:
        key = (row.project.project_id, chunk_index % row.project.counter_shards)
        amount, count = counters.get(key, (0, 0))
        counters[key] = (amount + row.amount_fen, count + 1)
    return counters


def _donation(
    donation_id: str, row: ValidRow, job: jobs.ImportModel, chunk_index: int, imported_at: str, hash_key: str
) -> donation_imports.ImportedDonation:
    return donation_imports.ImportedDonation(
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
