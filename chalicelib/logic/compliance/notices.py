"""Who a compliance notice goes to, and the words it says."""

from __future__ import annotations

from chalicelib.dal.outbox import Notice

PLATFORM = "platform"


def org_recipient(org_id: str) -> str:
    return f"org#{org_id}"


def to_charity_and_platform(org_id: str, *, dedupe_key: str, kind: str, message: str, subject_id: str) -> list[Notice]:
    """The same notice for the charity's admins and for the platform admins (each deduplicated)."""
    return [
        Notice(
            recipient=org_recipient(org_id), dedupe_key=dedupe_key, kind=kind, message=message, subject_id=subject_id
        ),
        Notice(recipient=PLATFORM, dedupe_key=dedupe_key, kind=kind, message=message, subject_id=subject_id),
    ]
