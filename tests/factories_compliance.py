"""Builders for the compliance tests: charities and projects written straight through the models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import to_iso
from chalicelib.dal.orgs import Certificate, OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.ids import new_id

T0 = datetime.fromisoformat("2026-12-01T00:00:00+00:00")


def make_org(**kwargs: Any) -> OrgModel:
    org = build_org(**kwargs)
    org.save()
    return org


def make_project(org_id: str, **kwargs: Any) -> ProjectModel:
    project = build_project(org_id, **kwargs)
    project.save()
    return project


def build_org(
    *,
    registration_to: str = "2030-12-31",
    fundraising_to: str | None = "2030-12-31",
    status: str = "approved",
    documents: bool = True,
    name: str = "北京爱心公益基金会",
) -> OrgModel:
    org_id = new_id()
    fundraising = None
    if fundraising_to is not None:
        fundraising = Certificate(
            number="京民募字001",
            valid_from="2020-01-01",
            valid_to=fundraising_to,
            document_key=f"orgs/{org_id}/fundraising.pdf" if documents else None,
        )
    org = OrgModel(
        org_id=org_id,
        name=name,
        credit_code="53100000500021676K",
        registration=Certificate(
            number="京民登001",
            issuer="北京市民政局",
            valid_from="2020-01-01",
            valid_to=registration_to,
            document_key=f"orgs/{org_id}/registration.pdf" if documents else None,
        ),
        fundraising=fundraising,
        contact_name="张三",
        contact_phone="13800138000",
        status=status,
        applicant_sub="applicant",
        cert_expires_on=min(d for d in (registration_to, fundraising_to) if d),
        created_at=to_iso(T0 - timedelta(days=400)),
        updated_at=to_iso(T0 - timedelta(days=400)),
    )
    return org


def build_project(
    org_id: str,
    *,
    status: str = "online",
    feedback_interval_days: int = 90,
    feedback_due_at: datetime | None = None,
    end_at: datetime | None = None,
    offline_reasons: list[str] | None = None,
    **extra: Any,
) -> ProjectModel:
    end = end_at or T0 + timedelta(days=365)
    project = ProjectModel(
        project_id=new_id(),
        org_id=org_id,
        title="乡村儿童营养餐",
        summary="为山区学校提供营养午餐",
        description="……",
        category="教育助学",
        province="云南省",
        city="昭通市",
        beneficiary="山区小学生",
        target_fen=10_000_000,
        start_date="2026-01-01",
        end_date=end.strftime("%Y-%m-%d"),
        start_at=to_iso(T0 - timedelta(days=300)),
        end_at=to_iso(end),
        filing_number="53100000500021676K-2026-001",
        feedback_interval_days=feedback_interval_days,
        status=status,
        offline_reasons=offline_reasons or [],
        feedback_due_at=to_iso(feedback_due_at) if feedback_due_at else None,
        created_by="org-admin",
        created_at=to_iso(T0 - timedelta(days=300)),
        updated_at=to_iso(T0 - timedelta(days=300)),
        **extra,
    )
    return project


def reload(project: ProjectModel) -> ProjectModel:
    return ProjectModel.get(project.project_id)
