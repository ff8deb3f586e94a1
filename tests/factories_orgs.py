"""Factories for charities, projects, feedback, complaints and campaigns (tests of issue 3).

Payload builders return plain dicts (what a client sends); the ``*_via_api``
helpers drive a ``chalice.test.Client`` through the real routes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import count
from typing import Any

from chalicelib.clock import utcnow
from chalicelib.logic.credit_code import check_character
from chalicelib.logic.deadlines import shanghai_day

_serial = count(1)


def credit_code(serial: int | None = None) -> str:
    """A valid 统一社会信用代码 of a foundation (5 = civil affairs, 3 = foundation) in 湖北."""
    number = next(_serial) if serial is None else serial
    first17 = f"53420000MJ{number:07d}"
    return first17 + check_character(first17)


def today():
    return shanghai_day(utcnow())


def certificate(*, days_valid: int = 3650, started_days_ago: int = 365, **overrides: Any) -> dict[str, Any]:
    cert = {
        "number": f"鄂民证字第{next(_serial):04d}号",
        "issuer": "湖北省民政厅",
        "valid_from": (today() - timedelta(days=started_days_ago)).isoformat(),
        "valid_to": (today() + timedelta(days=days_valid)).isoformat(),
    }
    cert.update(overrides)
    return cert


def org_application(*, qualified: bool = True, **overrides: Any) -> dict[str, Any]:
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


def project_draft(**overrides: Any) -> dict[str, Any]:
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


def _json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), (response.status_code, response.json_body)
    return response.json_body


def apply_via_api(client: Any, auth: Any, *, sub: str = "applicant", **overrides: Any) -> dict[str, Any]:
    body = org_application(**overrides)
    return created(client.http.post("/orgs", headers=auth("donor", sub=sub), body=_json(body)))


def approved_org_via_api(client: Any, auth: Any, **overrides: Any) -> str:
    org = apply_via_api(client, auth, **overrides)
    created(client.http.post(f"/orgs/{org['org_id']}/approve", headers=auth("platform_admin")))
    return str(org["org_id"])


def draft_via_api(client: Any, auth: Any, org_id: str, **overrides: Any) -> dict[str, Any]:
    response = client.http.post(
        "/projects", headers=auth("org_admin", org_id=org_id), body=_json(project_draft(**overrides))
    )
    return created(response)


def online_project_via_api(client: Any, auth: Any, org_id: str, **overrides: Any) -> str:
    project_id = str(draft_via_api(client, auth, org_id, **overrides)["project_id"])
    created(client.http.post(f"/projects/{project_id}/submit", headers=auth("org_admin", org_id=org_id)))
    created(client.http.post(f"/projects/{project_id}/approve", headers=auth("platform_admin")))
    return project_id


def post(client: Any, path: str, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    return client.http.post(
        path, headers=headers or {"Content-Type": "application/json"}, body=_json(body) if body is not None else ""
    )


def patch(client: Any, path: str, headers: dict[str, str], body: Any) -> Any:
    return client.http.patch(path, headers=headers, body=_json(body))
