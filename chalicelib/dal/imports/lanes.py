"""The per-charity import lane: a lease, so that a charity's imports never write
its dedupe keys concurrently."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed


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
        if not condition_failed(exc):
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
