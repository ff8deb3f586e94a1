"""Sharded project counters: amount raised, donations and distinct donors.

Each project has ``counter_shards`` items (project_id, shard); a payment
updates one shard picked at random inside its confirming transaction, and a
read sums the shards with one Query. No item receives every donation.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.dal.base import GongyiModel


class ProjectCounterModel(GongyiModel):
    table_suffix = "project-counters"

    class Meta:
        table_name = "unbound"

    project_id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    amount_fen = NumberAttribute(default=0)
    donation_count = NumberAttribute(default=0)
    donor_count = NumberAttribute(default=0)


@dataclass(frozen=True)
class Totals:
    amount_fen: int = 0
    donation_count: int = 0
    donor_count: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.amount_fen + other.amount_fen,
            self.donation_count + other.donation_count,
            self.donor_count + other.donor_count,
        )


def read_totals(project_id: str) -> Totals:
    """The project's totals: the sum of its shards (zero before any donation)."""
    total = Totals()
    for shard in ProjectCounterModel.query(project_id, consistent_read=True):
        total = total + Totals(int(shard.amount_fen or 0), int(shard.donation_count or 0), int(shard.donor_count or 0))
    return total


class ShardCountNotRaised(Exception):
    """The project has at least that many counter shards already (they only grow)."""


class ProjectMissing(Exception):
    pass


def raise_counter_shards(project_id: str, counter_shards: int, updated_at: str) -> None:
    """Raise a project's number of counter shards (conditional: only upward).

    Shards only grow, so every earlier donation stays in a shard [0, N) that
    reads and lists still visit.
    """
    from pynamodb.exceptions import UpdateError  # noqa: PLC0415

    from chalicelib.dal.projects import ProjectModel  # noqa: PLC0415

    try:
        ProjectModel(project_id=project_id).update(
            actions=[ProjectModel.counter_shards.set(counter_shards), ProjectModel.updated_at.set(updated_at)],
            condition=ProjectModel.project_id.exists()
            & (ProjectModel.counter_shards.does_not_exist() | (ProjectModel.counter_shards < counter_shards)),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        try:
            ProjectModel.get(project_id, consistent_read=True)
        except ProjectModel.DoesNotExist:
            raise ProjectMissing(project_id) from None
        raise ShardCountNotRaised(project_id) from exc
