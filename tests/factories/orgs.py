"""Charities: models written straight to the orgs table, and the application a client sends."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.orgs import Certificate, OrgModel
from chalicelib.ids import new_id
from chalicelib.logic.credit_code import check_character
from chalicelib.logic.deadlines import shanghai_day

#: The compliance tests' "now": jobs run as of this moment.
T0 = datetime.fromisoformat("2026-12-01T00:00:00+00:00")
CHARITY_NAME = "北京市春苗儿童救助基金会"

_serial = count(1)


def credit_code(serial: int | None = None) -> str:
    """A valid 统一社会信用代码 of a foundation (5 = civil affairs, 3 = foundation) in 湖北."""
    number = next(_serial) if serial is None else serial
    first17 = f"53420000MJ{number:07d}"
    return first17 + check_character(first17)


def build_org(
    *,
    name: str = CHARITY_NAME,
    credit_code: str | None = None,
    registration_to: str = "2030-12-31",
    fundraising_to: str | None = "2030-12-31",
    status: str = "approved",
    documents: bool = True,
    **fields: Any,
) -> OrgModel:
    """An unsaved approved charity with a registration and a fundraising certificate valid to 2030."""
    org_id = fields.pop("org_id", None) or new_id()
    fundraising = None
    if fundraising_to is not None:
        fundraising = Certificate(
            number="京民募字001",
            valid_from="2020-01-01",
            valid_to=fundraising_to,
            document_key=f"orgs/{org_id}/fundraising.pdf" if documents else None,
        )
    created = to_iso(T0 - timedelta(days=400))
    values: dict[str, Any] = {
        "name": name,
        "credit_code": credit_code or f"53110000MJ{next(_serial):07d}X",
        "registration": Certificate(
            number="京民登001",
            issuer="北京市民政局",
            valid_from="2020-01-01",
            valid_to=registration_to,
            document_key=f"orgs/{org_id}/registration.pdf" if documents else None,
        ),
        "fundraising": fundraising,
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "status": status,
        "applicant_sub": "applicant",
        "cert_expires_on": min(d for d in (registration_to, fundraising_to) if d),
        "created_at": created,
        "updated_at": created,
    }
    values.update(fields)
    return OrgModel(org_id=org_id, **values)


def make_org(**kwargs: Any) -> OrgModel:
    """``build_org(**kwargs)``, saved."""
    org = build_org(**kwargs)
    org.save()
    return org


def today():
    return shanghai_day(utcnow())


def certificate(*, days_valid: int = 3650, started_days_ago: int = 365, **overrides: Any) -> dict[str, Any]:
    """A certificate as a client sends it."""
    cert = {
        "number": f"鄂民证字第{next(_serial):04d}号",
        "issuer": "湖北省民政厅",
        "valid_from": (today() - timedelta(days=started_days_ago)).isoformat(),
        "valid_to": (today() + timedelta(days=days_valid)).isoformat(),
    }
    cert.update(overrides)
    return cert


def org_application(*, qualified: bool = True, **overrides: Any) -> dict[str, Any]:
    """The body of ``POST /orgs``; ``qualified`` adds a fundraising certificate."""
    body: dict[str, Any] = {
        "name": f"湖北省测试慈善基金会{next(_serial)}",
        "credit_code": credit_code(),
        "registration": certificate(),
        "contact_name": "王敏",
        "contact_phone": "13912345678",
    }
    if qualified:
        body["fundraising"] = certificate(days_valid=700)
    body.update(overrides)
    return body
