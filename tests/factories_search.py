"""Factories for search tests: projects as the projects table stores them."""

from __future__ import annotations

import itertools
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.ids import new_id

_seq = itertools.count()


def project_item(**overrides: Any) -> Any:
    """An unsaved ``ProjectModel`` with valid defaults (override any attribute)."""
    from chalicelib.dal.projects import ProjectModel

    n = next(_seq)
    now = to_iso(utcnow())
    fields: dict[str, Any] = {
        "project_id": new_id(),
        "org_id": "org-1",
        "title": f"项目{n}",
        "summary": "摘要",
        "description": "项目说明",
        "category": "扶贫济困",
        "province": "甘肃省",
        "city": "定西市",
        "beneficiary": "患者",
        "target_fen": 1_000_000,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "start_at": "2025-12-31T16:00:00Z",
        "end_at": "2026-12-31T15:59:59Z",
        "filing_number": "53100000500021929E",
        "status": "online",
        "campaign_ids": [],
        "created_by": "user-1",
        "created_at": now,
        "updated_at": now,
    }
    fields.update(overrides)
    return ProjectModel(**fields)


def stream_record(new: Any | None, old: Any | None = None) -> dict[str, Any]:
    """A DynamoDB stream record (wire-format images) for a project change."""
    event = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
    change: dict[str, Any] = {}
    if new is not None:
        change["NewImage"] = new.serialize()
        change["Keys"] = {"project_id": {"S": new.project_id}}
    if old is not None:
        change["OldImage"] = old.serialize()
    return {"eventName": event, "eventSource": "aws:dynamodb", "dynamodb": change}
