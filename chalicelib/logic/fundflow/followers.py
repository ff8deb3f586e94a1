"""Donors follow projects and are told when the project's money moves.

Following is one item per (project, donor) (``dal.follows``). Fan-out never runs
in the request that moves money: the disbursements and fund-uses streams turn
each money event (disbursement approved or confirmed, funds used) into one job
per follower shard on the ``follower-notices`` queue; each job notifies one
page of its shard's followers through the outbox and queues the next page. A
notification's dedupe key is the money event's id, so a replayed stream record
or queue message notifies nobody twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.dal import follows as store
from chalicelib.dal import projects as project_store
from chalicelib.dal.follows import FollowModel
from chalicelib.dal.outbox import NotificationModel, notifications_page, notify_once
from chalicelib.logic.ledger import events
from chalicelib.logic.visibility import require_visible

FANOUT_PAGE = 200  # followers one queue message notifies (each is one small transaction)
_POSITION_KEYS = {"follow_key", "donor_sub", "followed_at"}


def donor_recipient(sub: str) -> str:
    return f"donor#{sub}"


def follow_project(project_id: str, principal: Principal) -> FollowModel:
    require_visible(project_store.get_project(project_id), principal)
    return store.follow(project_id, principal.sub, at=to_iso(utcnow()))


def unfollow_project(project_id: str, principal: Principal) -> None:
    project_store.get_project(project_id)  # 404 for a project that does not exist
    store.unfollow(project_id, principal.sub)


def _position(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data or not set(data) <= _POSITION_KEYS:
        raise ValueError("not a follows position")
    return {name: {"S": str(value["S"])} for name, value in data.items()}


def my_follows(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[FollowModel], str | None]:
    start = decode_cursor(cursor, shape=_position) if cursor else None
    items, after = store.follows_of(principal.sub, limit=limit, start=start)
    return items, encode_cursor(after) if after and items else None


def my_notifications(
    principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[NotificationModel], str | None]:
    before = decode_cursor(cursor, shape=lambda d: str(d["before"])) if cursor else None
    items = notifications_page(donor_recipient(principal.sub), limit=limit + 1, before=before)
    more, items = len(items) > limit, items[:limit]
    return items, encode_cursor({"before": items[-1].sort_key}) if more else None


def _yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def money_notices(table: str, new: events.Image, old: events.Image) -> list[dict[str, Any]]:
    """The money events of one stream change as what followers are told (event id, project, text)."""
    if table == "disbursements":
        found = events.disbursement_events(new, old)
        texts = {
            "disbursement_approved": "拨付 {amount} 已批准, 付给 {to}",
            "disbursement_confirmed": "拨付 {amount} 已确认收到, 收款方 {to}",
        }
    else:
        found = events.use_events(new, old)
        texts = {"funds_used": "支出 {amount} 已登记: {category}"}
    notices = []
    for event in found:
        body = event.body
        text = texts[body["type"]].format(
            amount=_yuan(int(body["amount_fen"])), to=(new or {}).get("to_name"), category=body.get("category")
        )
        notices.append({"event": event.event_id, "project": body["project"], "kind": body["type"], "message": text})
    return notices


def queue_fanout(settings: Settings, table: str, changes: list[tuple[events.Image, events.Image]]) -> int:
    """One fan-out job per follower shard for each money event of a stream batch (the project's
    title read once per project of the batch, not once per follower)."""
    notices = [notice for new, old in changes for notice in money_notices(table, new, old)]
    titles: dict[str, str] = {}
    for notice in notices:
        if notice["project"] not in titles:
            project = project_store.find_project(notice["project"])
            titles[notice["project"]] = project.title if project else notice["project"]
    jobs = [
        {**notice, "title": titles[notice["project"]], "shard": shard}
        for notice in notices
        for shard in range(store.FOLLOW_SHARDS)
    ]
    return store.enqueue_fanout(settings, jobs)


def notify_followers(settings: Settings, job: dict[str, Any]) -> int:
    """Notify one page of one shard's followers of a money event; queue the next page. Returns how
    many were notified now (a replayed job: 0)."""
    subs, after = store.followers_page(job["project"], int(job["shard"]), limit=FANOUT_PAGE, start=job.get("start"))
    notified = sum(
        notify_once(
            recipient=donor_recipient(sub),
            dedupe_key=f"money#{job['event']}",
            kind=str(job["kind"]),
            message=f"《{job.get('title') or job['project']}》{job['message']}",
            subject_id=str(job["project"]),
        )
        for sub in subs
    )
    if after:
        store.enqueue_fanout(settings, [{**job, "start": after}])
    return notified
