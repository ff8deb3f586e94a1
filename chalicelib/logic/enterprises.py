"""爱心企业 enterprises: apply, approval by a platform admin, employees joining with an
invitation code, and the enterprise page (teams, members' giving masked, its pools)."""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import teams as store
from chalicelib.dal.teams import EnterpriseMemberModel, EnterpriseModel
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.logic.credit_code import is_valid_credit_code, normalize_credit_code
from chalicelib.logic.keyed_creation import keyed_id, request_digest, require_same_request
from chalicelib.privacy import is_mainland_mobile, mask_phone, normalize_phone


def is_member(enterprise_id: str, sub: str) -> bool:
    return store.is_member(enterprise_id, sub)


def apply(principal: Principal, body: dict[str, Any], *, idempotency_key: str | None = None) -> EnterpriseModel:
    """A new application; a retry with the same ``Idempotency-Key`` (and body) returns it again."""
    code = normalize_credit_code(body["credit_code"])
    phone = normalize_phone(body["contact_phone"])
    problems = []
    if not is_valid_credit_code(code):
        problems.append({"field": "credit_code", "code": "invalid_credit_code", "message": "not a valid credit code"})
    if not phone or not is_mainland_mobile(phone):
        problems.append({"field": "contact_phone", "code": "invalid_mobile", "message": "not a mainland mobile"})
    if problems:
        raise ValidationFailed("the application is not valid", details=problems)
    enterprise_id = keyed_id(f"POST /enterprises|{principal.sub}", idempotency_key)
    now = to_iso(utcnow())
    enterprise = EnterpriseModel(
        enterprise_id=enterprise_id,
        name=body["name"].strip(),
        credit_code=code,
        contact_name=body["contact_name"].strip(),
        contact_phone=phone,
        applicant_sub=principal.sub,
        status="pending_review",
        created_at=now,
        updated_at=now,
        request_digest=request_digest(body),
    )
    try:
        store.save_new(enterprise)
    except store.AlreadyExists:
        existing = get(enterprise_id)
        require_same_request(existing.request_digest, str(enterprise.request_digest))
        return existing
    return enterprise


def get(enterprise_id: str) -> EnterpriseModel:
    enterprise = store.find_enterprise(enterprise_id)
    if enterprise is None:
        raise NotFound(f"no enterprise {enterprise_id}", code="enterprise_not_found")
    return enterprise


def approve(enterprise_id: str) -> EnterpriseModel:
    get(enterprise_id)
    if not store.approve_enterprise(enterprise_id, secrets.token_urlsafe(9), to_iso(utcnow())):
        raise Conflict("the enterprise is not pending review", code="enterprise_not_pending")
    return get(enterprise_id)


def require_admin(principal: Principal, enterprise: EnterpriseModel) -> None:
    """The applicant administers an enterprise; platform admins may act for any."""
    if principal.is_platform_admin or principal.sub == enterprise.applicant_sub:
        return
    raise Forbidden("you may not act for this enterprise", code="not_enterprise_admin")


def invitation(principal: Principal, enterprise_id: str) -> str:
    enterprise = get(enterprise_id)
    require_admin(principal, enterprise)
    if enterprise.status != "approved" or not enterprise.invite_code:
        raise Conflict("the enterprise is not approved yet", code="enterprise_not_approved")
    return enterprise.invite_code


def join(principal: Principal, enterprise_id: str, invite_code: str) -> None:
    enterprise = get(enterprise_id)
    if enterprise.status != "approved" or not enterprise.invite_code:
        raise Conflict("the enterprise is not approved yet", code="enterprise_not_approved")
    if not secrets.compare_digest(invite_code.strip(), enterprise.invite_code):
        raise Forbidden("the invitation code is not this enterprise's", code="invite_code_invalid")
    with contextlib.suppress(store.AlreadyExists):  # joining twice is joining
        store.save_new(
            EnterpriseMemberModel(enterprise_id=enterprise_id, sub=principal.sub, joined_at=to_iso(utcnow()))
        )


def page(enterprise_id: str, principal: Principal | None) -> dict[str, Any]:
    """The public page of an approved enterprise (its admin and platform admins see it pending too)."""
    from chalicelib.logic.leaderboards import enterprise_teams_board  # noqa: PLC0415
    from chalicelib.logic.matching.pools import pool_summaries  # noqa: PLC0415
    from chalicelib.logic.teams import enterprise_totals, leaderboard, top_teams  # noqa: PLC0415

    enterprise = get(enterprise_id)
    is_admin = principal is not None and (principal.is_platform_admin or principal.sub == enterprise.applicant_sub)
    if enterprise.status != "approved" and not is_admin:
        raise NotFound(f"no enterprise {enterprise_id}", code="enterprise_not_found")
    totals = enterprise_totals(enterprise_id)
    return {
        "enterprise_id": enterprise.enterprise_id,
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "status": enterprise.status,
        "contact_phone": mask_phone(enterprise.contact_phone),
        "teams": top_teams(enterprise_teams_board(enterprise_id)),
        "members": leaderboard(f"enterprise#{enterprise_id}"),
        "member_donor_count": totals.donor_count,
        "member_amount_fen": totals.amount_fen,
        "member_donation_count": totals.donation_count,
        "pools": pool_summaries(enterprise_id),
    }
