"""Sharded project counters: amount raised, donations and distinct donors.

Each project has ``counter_shards`` items, each under its own partition key
``project_id#shard``; a payment updates one shard picked at random inside its
confirming transaction, and a read sums the shards with one BatchGetItem. No
item and no partition key receives every donation of a project (DynamoDB
serves at most 1,000 writes/s per partition key, so a shared ``project_id``
hash key with the shard as sort key would not do).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed


class ProjectCounterModel(GongyiModel):
    table_suffix = "project-counters"

    class Meta:
        table_name = "unbound"

    counter_key = UnicodeAttribute(hash_key=True)  # f"{project_id}#{shard}"
    project_id = UnicodeAttribute(null=True)
    shard = NumberAttribute(null=True)
    amount_fen = NumberAttribute(default=0)
    donation_count = NumberAttribute(default=0)
    donor_count = NumberAttribute(default=0)
    imported_fen = NumberAttribute(null=True)  # the part of amount_fen that came in by import (issue 16)
    # The public snapshot item (``project_id#total``): when its shards were read, and the
    # first page of paid donations (serialized DonationModel items, newest first).
    as_of = NumberAttribute(null=True)
    recent = UnicodeAttribute(null=True)
    matched_fen = NumberAttribute(null=True)  # snapshot only: 配捐 read from match-totals with the shards

    @staticmethod
    def key(project_id: str, shard: int) -> str:
        return f"{project_id}#{int(shard)}"

    @classmethod
    def for_shard(cls, project_id: str, shard: int, **values: int) -> ProjectCounterModel:
        """The counter item of one shard (pass amounts to build a full item)."""
        attributes: dict[str, Any] = {"project_id": project_id, "shard": int(shard), **values}
        return cls(counter_key=cls.key(project_id, shard), **attributes)

    @classmethod
    def label_actions(cls, project_id: str, shard: int) -> list[Any]:
        """Update actions that keep ``project_id``/``shard`` readable on an item an ADD creates."""
        return [cls.project_id.set(project_id), cls.shard.set(int(shard))]


@dataclass(frozen=True)
class Totals:
    amount_fen: int = 0
    donation_count: int = 0
    donor_count: int = 0
    imported_fen: int = 0  # part of amount_fen
    matched_fen: int = 0  # 配捐, on top of amount_fen (filled by the matching totals)

    @property
    def online_fen(self) -> int:
        return self.amount_fen - self.imported_fen

    @property
    def total_fen(self) -> int:
        return self.amount_fen + self.matched_fen

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.amount_fen + other.amount_fen,
            self.donation_count + other.donation_count,
            self.donor_count + other.donor_count,
            self.imported_fen + other.imported_fen,
            self.matched_fen + other.matched_fen,
        )


def read_totals(project_id: str, shards: int | None = None) -> Totals:
    """The project's totals: the sum of its shards (zero before any donation).

    ``shards`` is the project's ``counter_shards``; without it the project item is read.
    Shards only grow, so [0, shards) covers every counted donation.
    """
    if shards is None:
        from chalicelib.dal.projects import ProjectModel  # noqa: PLC0415

        try:
            shards = int(ProjectModel.get(project_id).counter_shards or 1)
        except ProjectModel.DoesNotExist:
            return Totals()
    total = Totals()
    keys = [ProjectCounterModel.key(project_id, shard) for shard in range(shards)]
    for item in ProjectCounterModel.batch_get(keys, consistent_read=True):
        total = total + Totals(
            int(item.amount_fen or 0),
            int(item.donation_count or 0),
            int(item.donor_count or 0),
            int(item.imported_fen or 0),
        )
    from chalicelib.dal.matching import matched_totals  # noqa: PLC0415

    matched, _ = matched_totals([project_id], {project_id: shards})[project_id]
    return replace(total, matched_fen=matched)


class ShardCountNotRaised(Exception):
    """The project has at least that many counter shards already (they only grow)."""


class ProjectMissing(Exception):
    pass


def raise_counter_shards(project_id: str, counter_shards: int, updated_at: str) -> None:
    """Raise a project's number of counter shards (conditional: only upward).

    Shards only grow, so every earlier donation stays in a shard [0, N) that
    reads and lists still visit.
    """
    from chalicelib.dal.projects import ProjectModel  # noqa: PLC0415

    try:
        ProjectModel(project_id=project_id).update(
            actions=[ProjectModel.counter_shards.set(counter_shards), ProjectModel.updated_at.set(updated_at)],
            condition=ProjectModel.project_id.exists()
            & (ProjectModel.counter_shards.does_not_exist() | (ProjectModel.counter_shards < counter_shards)),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        try:
            ProjectModel.get(project_id, consistent_read=True)
        except ProjectModel.DoesNotExist:
            raise ProjectMissing(project_id) from None
        raise ShardCountNotRaised(project_id) from exc


# -- the public snapshot ----------------------------------------------------------------------
#
# Page views outnumber gifts 10-100x in a surge. Public reads (project page, totals, first
# page of donations, campaign) read one snapshot item per project, eventually consistent,
# instead of every shard: the donations-stream consumer refreshes it (once per project per
# batch) from a consistent read of the shards. See docs/scale.md.

SNAPSHOT = "total"


def snapshot_key(project_id: str) -> str:
    return f"{project_id}#{SNAPSHOT}"


def write_snapshot(project_id: str, totals: Totals, as_of: int, recent: list[dict[str, Any]] | None) -> bool:
    """Store the snapshot read at ``as_of`` (ns); False when a newer one is there already
    (two consumers racing: the later read wins, whatever order the writes land in)."""
    import json  # noqa: PLC0415

    item = ProjectCounterModel(
        counter_key=snapshot_key(project_id),
        project_id=project_id,
        amount_fen=totals.amount_fen,
        donation_count=totals.donation_count,
        donor_count=totals.donor_count,
        imported_fen=totals.imported_fen,
        matched_fen=totals.matched_fen,
        as_of=as_of,
        recent=json.dumps(recent, ensure_ascii=False, separators=(",", ":")) if recent is not None else None,
    )
    try:
        item.save(condition=ProjectCounterModel.as_of.does_not_exist() | (ProjectCounterModel.as_of < as_of))
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def _snapshot_totals(item: ProjectCounterModel) -> Totals:
    return Totals(
        int(item.amount_fen or 0),
        int(item.donation_count or 0),
        int(item.donor_count or 0),
        int(item.imported_fen or 0),
        int(item.matched_fen or 0),
    )


def read_snapshot(project_id: str, shards: int) -> Totals:
    """The project's totals as last published (one eventually consistent GetItem); the sum
    of the shards before the first gift's snapshot exists."""
    try:
        return _snapshot_totals(ProjectCounterModel.get(snapshot_key(project_id)))
    except ProjectCounterModel.DoesNotExist:
        return read_totals(project_id, shards)


def read_snapshots(shards_by_project: dict[str, int]) -> dict[str, Totals]:
    """Totals of many projects: one BatchGetItem of their snapshots (100 a call)."""
    found = {
        str(item.project_id): _snapshot_totals(item)
        for item in ProjectCounterModel.batch_get([snapshot_key(p) for p in shards_by_project])
    }
    for project_id, shards in shards_by_project.items():
        if project_id not in found:
            found[project_id] = read_totals(project_id, shards)
    return found


def recent_snapshot(project_id: str) -> list[dict[str, Any]] | None:
    """The first page of paid donations stored with the snapshot (None before the first one)."""
    import json  # noqa: PLC0415

    try:
        item = ProjectCounterModel.get(snapshot_key(project_id))
    except ProjectCounterModel.DoesNotExist:
        return None
    return json.loads(item.recent) if item.recent else None
