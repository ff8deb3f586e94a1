"""Reading donations: the full view (donor, admins), the public list of a project,
the signed-in donor's list, and a project's totals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.dal.donations import DonationModel, donations_of_donor, find_donation, paid_donations_page
from chalicelib.dal.totals import Totals, read_snapshot
from chalicelib.errors import NotFound
from chalicelib.logic.donations.project import project_snapshot
from chalicelib.privacy import mask_phone


def display_status(donation: DonationModel, now: datetime) -> str:
    if donation.status == "pending" and donation.pay_by and donation.pay_by < to_iso(now):
        return "expired"
    return str(donation.status)


def donation_view(donation: DonationModel, *, now: datetime) -> dict[str, Any]:
    """The full view (for its donor and platform admins). The phone stays masked even
    here: nobody needs to read it back, and responses get logged by clients."""
    return {
        "donation_id": donation.donation_id,
        "project_id": donation.project_id,
        "org_id": donation.org_id,
        "amount_fen": int(donation.amount_fen),
        "donor_name": donation.donor_name,
        "donor_phone": mask_phone(donation.donor_phone),
        "anonymous": bool(donation.anonymous),
        "message": donation.message,
        "channel": donation.channel,
        "status": display_status(donation, now),
        "created_at": donation.created_at,
        "pay_by": donation.pay_by,
        "paid_at": donation.paid_at,
        "refunded_at": donation.refunded_at,
        "refund_reason": donation.refund_reason,
        "provider_txn_id": donation.provider_txn_id,
    }


def visible_donation(donation_id: str, *, sub: str, is_platform_admin: bool) -> dict[str, Any]:
    donation = find_donation(donation_id, consistent=False)
    if donation is None or not (is_platform_admin or (donation.donor_sub and donation.donor_sub == sub)):
        # Not yours looks like not there: donation ids are not for probing.
        raise NotFound(f"no donation {donation_id}", code="donation_not_found")
    return donation_view(donation, now=utcnow())


def public_donations(
    settings: Settings, project_id: str, *, limit: int, cursor: str | None
) -> tuple[list[DonationModel], str | None]:
    """Paid donations of a project, newest first, and the cursor of the next page."""
    from chalicelib.logic.projects.snapshots import recent_paid_donations

    project = project_snapshot(project_id, settings.project_cache_seconds)
    before = _position(cursor)
    # The first page comes from the project's snapshot (one read, whatever its shards);
    # later pages merge the shards (rarer, and cached by the CDN like the first).
    page = recent_paid_donations(project_id, limit) if before is None else None
    if page is None:
        page = paid_donations_page(project_id, project.counter_shards, limit=limit + 1, before=before)
    more = len(page) > limit
    page = page[:limit]
    return page, _next_cursor(page) if more else None


def my_donations(sub: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    before = _position(cursor)
    items = donations_of_donor(sub, limit=limit + 1, before=before[0] if before else None)
    more = len(items) > limit
    items = items[:limit]
    now = utcnow()
    return [donation_view(d, now=now) for d in items], _next_cursor(items) if more else None


def project_totals(settings: Settings, project_id: str) -> Totals:
    project = project_snapshot(project_id, settings.project_cache_seconds)  # 404 for an unknown project
    return read_snapshot(project_id, int(project.counter_shards or 1))


# A page's position is (created_at, donation_id) of its last donation.


def _next_cursor(page: list[DonationModel]) -> str | None:
    return encode_cursor([page[-1].created_at, page[-1].donation_id]) if page else None


def _shape(data: Any) -> tuple[str, str]:
    created_at, donation_id = data
    return str(created_at), str(donation_id)


def _position(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    return decode_cursor(cursor, shape=_shape, message="the cursor is not one this API handed out")  # type: ignore[no-any-return]
