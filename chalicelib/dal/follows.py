"""Donors following a project, and the queue that fans a money event out to them.

A follow is stored under ``{project_id}#{shard}`` (the shard from a hash of the
donor's ``sub``) with the donor as sort key: a viral project's followers spread
over ``FOLLOW_SHARDS`` partitions, so no single key takes every follow (1,000
writes/s per key), and the same donor always lands on the same item (following
twice is one item). A donor's own list is the ``by_donor`` index, one small
partition per donor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.config import Settings
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed

FOLLOW_SHARDS = 16
FANOUT_QUEUE = "follower-notices"
Position = dict[str, Any] | None  # DynamoDB's LastEvaluatedKey: where the next page starts


def follow_shard(donor_sub: str) -> int:
    return int.from_bytes(hashlib.sha256(donor_sub.encode()).digest()[:4], "big") % FOLLOW_SHARDS


class _ByDonor(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_donor"
        projection = AllProjection()

    donor_sub = UnicodeAttribute(hash_key=True)
    followed_at = UnicodeAttribute(range_key=True)


class FollowModel(GongyiModel):
    table_suffix = "follows"

    class Meta:
        table_name = "unbound"

    follow_key = UnicodeAttribute(hash_key=True)  # f"{project_id}#{shard}"
    donor_sub = UnicodeAttribute(range_key=True)
    project_id = UnicodeAttribute()
    followed_at = UnicodeAttribute()

    by_donor = _ByDonor()

    @staticmethod
    def key_of(project_id: str, donor_sub: str) -> str:
        return f"{project_id}#{follow_shard(donor_sub)}"


def follow(project_id: str, donor_sub: str, *, at: str) -> FollowModel:
    """Follow ``project_id``; following again keeps the first follow (and its time)."""
    item = FollowModel(FollowModel.key_of(project_id, donor_sub), donor_sub, project_id=project_id, followed_at=at)
    try:
        item.save(condition=FollowModel.follow_key.does_not_exist())
    except PutError as exc:
        if not condition_failed(exc):
            raise
        return FollowModel.get(item.follow_key, donor_sub, consistent_read=True)
    return item


def unfollow(project_id: str, donor_sub: str) -> None:
    """Stop following; a no-op if not following."""
    FollowModel(FollowModel.key_of(project_id, donor_sub), donor_sub).delete()


def follows_of(donor_sub: str, *, limit: int, start: Position) -> tuple[list[FollowModel], Position]:
    """One page of a donor's follows, newest first, and where the next page starts."""
    result = FollowModel.by_donor.query(
        donor_sub, scan_index_forward=False, limit=limit, last_evaluated_key=start or None
    )
    items = list(result)
    return items, result.last_evaluated_key


def followers_page(project_id: str, shard: int, *, limit: int, start: Position) -> tuple[list[str], Position]:
    """One page of the followers (donor subs) in one shard of a project."""
    result = FollowModel.query(f"{project_id}#{shard}", limit=limit, last_evaluated_key=start or None)
    subs = [item.donor_sub for item in result]
    return subs, result.last_evaluated_key


def enqueue_fanout(settings: Settings, jobs: Iterable[dict[str, Any]]) -> int:
    """Send fan-out jobs (JSON objects) to the ``follower-notices`` queue, ten per request."""
    from chalicelib.dal.aws import aws_client, queue_url  # noqa: PLC0415

    pending = [json.dumps(job, ensure_ascii=False, sort_keys=True) for job in jobs]
    sqs = aws_client(settings, "sqs")
    for start in range(0, len(pending), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(pending[start : start + 10])]
        failed = sqs.send_message_batch(QueueUrl=queue_url(settings, FANOUT_QUEUE), Entries=entries).get("Failed")
        if failed:
            raise RuntimeError(f"{len(failed)} fan-out jobs were not queued")
    return len(pending)
