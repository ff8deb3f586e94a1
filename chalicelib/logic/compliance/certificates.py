"""Certificates (daily): alert before a charity's certificate expires; offline its projects after.

A certificate is valid through its ``valid_to`` day (Shanghai calendar) and
expired from the next day. Within 30 days of ``valid_to`` the charity and the
platform get one ``certificate_expiring`` alert per (charity, certificate,
valid_to); once expired, one ``certificate_expired`` alert, and every project
the charity raises that is ``online`` goes ``offline`` with reason
``certificate_expired`` (an already ``offline`` one gets the reason added, so
posting feedback cannot bring it back while the certificate is expired).

Only charities whose earliest expiry (``cert_expires_on``) is within the window
are read (GSI ``by_status_cert_expiry``), and projects only of expired ones
(GSI ``by_org``). A renewed certificate moves ``cert_expires_on`` out of the window.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.dal.orgs import OrgModel, orgs_with_certificates_expiring_by
from chalicelib.dal.outbox import Notice, notify_all
from chalicelib.dal.projects import every_project_of_org, take_offline
from chalicelib.logic.compliance.calendar import shanghai_day
from chalicelib.logic.compliance.notices import to_charity_and_platform
from chalicelib.logic.compliance.runner import JobContext

REASON = "certificate_expired"
WARN_DAYS = 30
CERTIFICATE_NAMES = {"registration": "登记证书", "fundraising": "公开募捐资格证书"}


def certificates_of(org: OrgModel) -> list[tuple[str, str]]:
    """(kind, valid_to) of the charity's certificates."""
    found = [("registration", org.registration.valid_to)]
    if org.fundraising is not None:
        found.append(("fundraising", org.fundraising.valid_to))
    return found


def check_certificates(ctx: JobContext) -> dict[str, Any]:
    today = shanghai_day(ctx.as_of)
    horizon = (today + timedelta(days=WARN_DAYS)).isoformat()
    orgs = orgs_with_certificates_expiring_by(horizon, ctx.meter)
    expiring = expired = offline = 0
    notices: list[Notice] = []
    for org in orgs:
        org_expired = False
        for kind, valid_to in certificates_of(org):
            if valid_to > horizon:
                continue
            is_expired = date.fromisoformat(valid_to) < today
            org_expired = org_expired or is_expired
            expiring += not is_expired
            expired += is_expired
            label = CERTIFICATE_NAMES[kind]
            notices += to_charity_and_platform(
                org.org_id,
                dedupe_key=f"{'certificate_expired' if is_expired else 'certificate_expiring'}|{org.org_id}|{kind}|{valid_to}",
                kind="certificate_expired" if is_expired else "certificate_expiring",
                message=(
                    f"「{org.name}」的{label}已于 {valid_to} 到期，其募捐项目已下线，请尽快更新证书。"
                    if is_expired
                    else f"「{org.name}」的{label}将于 {valid_to} 到期，请在到期前更新。"
                ),
                subject_id=org.org_id,
            )
        if org_expired:
            offline += _offline_projects_of(org, ctx)
    return {
        "due": expiring + expired,
        "certificates_expiring": expiring,
        "certificates_expired": expired,
        "projects_taken_offline": offline,
        "notified": notify_all(notices),
    }


def _offline_projects_of(org: OrgModel, ctx: JobContext) -> int:
    changed = 0
    for project in every_project_of_org(org.org_id, ctx.meter):
        if project.status not in ("online", "offline") or REASON in (project.offline_reasons or []):
            continue
        changed += take_offline(project, REASON, at=ctx.as_of_iso, job_run=ctx.run_id).changed
    return changed
