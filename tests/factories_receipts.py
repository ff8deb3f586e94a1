"""Factories for the receipts tests: a charity, a project, donations, and stream records."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.orgs import Certificate, OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.ids import new_id
from chalicelib.privacy import phone_hash

CHARITY_NAME = "北京市春苗儿童救助基金会"
PROJECT_TITLE = "乡村儿童营养午餐"
_sequence = itertools.count(1)


def make_charity(name: str = CHARITY_NAME, credit_code: str | None = None) -> OrgModel:
    now = to_iso(utcnow())
    org = OrgModel(
        new_id(),
        name=name,
        credit_code=credit_code or f"53110000MJ{next(_sequence):07d}X",
        registration=Certificate(number="京民证字第0001号", valid_from="2020-01-01", valid_to="2030-12-31"),
        contact_name="李老师",
        contact_phone="13800000000",
        status="approved",
        applicant_sub="org-applicant",
        created_at=now,
        updated_at=now,
    )
    org.save()
    return org


def make_project(org: OrgModel, title: str = PROJECT_TITLE) -> ProjectModel:
    now = to_iso(utcnow())
    project = ProjectModel(
        new_id(),
        org_id=org.org_id,
        title=title,
        summary="为山区小学提供营养午餐",
        description="每餐四元，让孩子吃饱吃好。",
        category="儿童",
        province="贵州",
        city="毕节",
        beneficiary="山区小学生",
        target_fen=100_000_000,
        start_date="2026-01-01",
        end_date="2026-12-31",
        start_at="2025-12-31T16:00:00.000000Z",
        end_at="2026-12-31T15:59:59.000000Z",
        filing_number="53110000MJ0000001A26001",
        status="online",
        created_by="org-admin",
        created_at=now,
        updated_at=now,
    )
    project.save()
    return project


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
) -> DonationModel:
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
    )
    donation.save()
    return donation


def stream_record(model: Any, *, old: Any = None, event_name: str = "MODIFY", sequence: int = 1) -> dict[str, Any]:
    """A DynamoDB stream record as Lambda receives it (NEW_AND_OLD_IMAGES)."""
    image = model.serialize()
    keys = {name: image[name] for name in (model._hash_keyname,)}
    body: dict[str, Any] = {
        "Keys": keys,
        "NewImage": image,
        "SequenceNumber": str(sequence),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        body["OldImage"] = old
    return {
        "eventID": new_id(),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "cn-north-1",
        "eventSourceARN": "arn:aws:dynamodb:cn-north-1:123456789012:table/t/stream/local",
        "dynamodb": body,
    }


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}
