"""Projects: models written straight to the projects table, and the draft a client sends."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import SHANGHAI, to_iso, utcnow
from chalicelib.dal.orgs import OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.ids import new_id
from tests.factories.orgs import CHARITY_NAME, make_org, today

PROJECT_TITLE = "乡村儿童营养午餐"
#: The default window: all of 2026 and 2027 (Shanghai days).
START_AT = "2025-12-31T16:00:00.000000Z"
END_AT = "2027-12-31T15:59:59.000000Z"

_seq = itertools.count()

__all__ = ["CHARITY_NAME", "PROJECT_TITLE", "build_project", "make_project", "project_draft", "reload"]


def _org_id(org: OrgModel | str | None) -> str:
    if isinstance(org, OrgModel):
        return str(org.org_id)
    return org or "org-1"


def _day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat()


def build_project(
    org: OrgModel | str | None = None,
    *,
    starts_in: timedelta | None = None,
    lasts: timedelta = timedelta(days=30),
    **fields: Any,
) -> ProjectModel:
    """An unsaved online project of ``org`` (a model or an id) running through 2026 and 2027.

    Any model attribute can be given; datetimes are stored as ISO strings, and ``end_at``
    alone also sets ``end_date``. ``starts_in``/``lasts`` place the window relative to now.
    """
    now = to_iso(utcnow())
    values: dict[str, Any] = {
        "project_id": new_id(),
        "org_id": _org_id(org),
        "title": PROJECT_TITLE,
        "summary": "为山区小学提供营养午餐",
        "description": "……",
        "category": "扶贫济困",
        "province": "甘肃省",
        "city": "定西市",
        "beneficiary": "山区小学生",
        "target_fen": 100_000_000,
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "start_at": START_AT,
        "end_at": END_AT,
        "filing_number": "53100000500021676K-2026-001",
        "status": "online",
        "counter_shards": 4,
        "offline_reasons": [],
        "campaign_ids": [],
        "created_by": "org-admin",
        "created_at": now,
        "updated_at": now,
    }
    if starts_in is not None:
        start = utcnow() + starts_in
        fields = {"start_at": start, "end_at": start + lasts, **fields}
        fields.setdefault("start_date", _day(start))
    end_at = fields.get("end_at")
    if isinstance(end_at, datetime):
        fields.setdefault("end_date", _day(end_at))
    values.update({k: to_iso(v) if isinstance(v, datetime) else v for k, v in fields.items()})
    if values.get("offline_reasons") is None:
        values["offline_reasons"] = []
    return ProjectModel(**values)


def make_project(org: OrgModel | str | None = None, **kwargs: Any) -> ProjectModel:
    """``build_project(org, **kwargs)``, saved; without an org, an approved charity is made first."""
    if org is None and "org_id" not in kwargs:
        org = make_org()
    project = build_project(org, **kwargs)
    project.save()
    return project


def reload(project: ProjectModel) -> ProjectModel:
    return ProjectModel.get(project.project_id)


def project_draft(**overrides: Any) -> dict[str, Any]:
    """The body of ``POST /projects``."""
    body: dict[str, Any] = {
        "title": "驰援武汉：一线医护防护物资募捐",
        "summary": "为武汉一线医护人员采购医用防护物资",
        "description": "采购医用防护服、N95口罩和护目镜，直达武汉定点医院。",
        "category": "医疗救助",
        "province": "湖北",
        "city": "武汉",
        "beneficiary": "武汉市定点医院一线医护人员",
        "target_fen": 50_000_000,
        "start_date": today().isoformat(),
        "end_date": (today() + timedelta(days=120)).isoformat(),
        "filing_number": "53420000MJH47635XDA20001",
    }
    body.update(overrides)
    return body


def next_title() -> str:
    return f"项目{next(_seq)}"
