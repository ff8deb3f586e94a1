"""Donations: models written straight to the donations table, and the gift a donor sends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.ids import new_id
from chalicelib.privacy import phone_hash


def make_donation(
    settings: Settings,
    project: ProjectModel,
    *,
    amount_fen: int = 123_450,
    donor_name: str | None = "张三",
    phone: str | None = "13812345678",
    donor_sub: str | None = "donor-zhang",
    anonymous: bool = False,
    channel: str = "sandbox",
    status: str = "paid",
    paid_at: datetime | None = None,
    team_id: str | None = None,
) -> DonationModel:
    """A saved donation to ``project`` (paid now unless told otherwise), on counter shard 0;
    with ``team_id``, given through that team (一起捐) by the signed-in ``donor_sub``."""
    moment = paid_at or utcnow()
    shard = 0
    donation = DonationModel(
        new_id(),
        project_id=project.project_id,
        org_id=project.org_id,
        shard=shard,
        project_shard=f"{project.project_id}#{shard}",
        amount_fen=amount_fen,
        donor_name=donor_name,
        donor_phone=phone,
        phone_hash=phone_hash(settings.phone_hash_key, phone) if phone else None,
        donor_sub=donor_sub,
        anonymous=anonymous,
        channel=channel,
        status=status,
        created_at=to_iso(moment - timedelta(seconds=5)),
        paid_at=to_iso(moment) if status in ("paid", "refunded") else None,
        team_id=team_id,
        donor_key=f"sub:{donor_sub}" if team_id else None,
    )
    donation.save()
    return donation


def gift(**overrides: Any) -> dict[str, Any]:
    """The body of ``POST /projects/{id}/donations``; an override of None drops the field."""
    body = {
        "amount_fen": 5000,
        "donor_name": "张三",
        "donor_phone": "13912345678",
        "anonymous": False,
        "message": "武汉加油",
        "channel": "sandbox",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
