"""The outbox deliverer: every new notification goes out through SNS (dev/prod), then is marked delivered.

Locally there is no topic: the notification is only marked delivered ("stored").
Delivery is at least once (a stream batch can be retried after a publish);
each SNS message carries the notification's ``dedupe_key`` for subscribers
that must not act twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.compliance import publish_notification
from chalicelib.dal.outbox import mark_delivered


def _text(image: dict[str, Any], name: str) -> str | None:
    value = image.get(name)
    return value.get("S") if isinstance(value, dict) else None


def deliver_record(record: dict[str, Any], settings: Settings) -> dict[str, int]:
    """Publish (dev/prod) and mark delivered one notifications-stream record; replays are no-ops."""
    if record.get("eventName") != "INSERT":
        return {"delivered": 0, "published": 0}
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    recipient, sort_key = _text(image, "recipient"), _text(image, "sort_key")
    if not recipient or not sort_key or _text(image, "delivered_at"):
        return {"delivered": 0, "published": 0}
    published = 0
    if settings.notifications_topic_arn:
        publish_notification(
            settings,
            recipient=recipient,
            kind=_text(image, "kind") or "notice",
            message=_text(image, "message") or "",
            dedupe_key=_text(image, "dedupe_key") or sort_key,
        )
        published = 1
    return {"delivered": mark_delivered(recipient, sort_key, delivered_at=to_iso(utcnow())), "published": published}


def deliver_records(records: list[dict[str, Any]], settings: Settings) -> dict[str, int]:
    """Deliver each record in turn; the counts of what was delivered and published."""
    totals = {"delivered": 0, "published": 0}
    for record in records:
        for name, count in deliver_record(record, settings).items():
            totals[name] += count
    return totals
