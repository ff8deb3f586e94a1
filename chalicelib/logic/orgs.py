"""Charities: application, certificates (两证), review, document uploads."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.audit import record_status_change
from chalicelib.dal.orgs import Certificate as Certificate  # re-exported: the API types against logic, never dal
from chalicelib.dal.orgs import OrgModel as OrgModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic.access import may_manage_org, require_manage_org
from chalicelib.logic.credit_code import is_valid_credit_code, normalize_credit_code
from chalicelib.logic.deadlines import shanghai_day
from chalicelib.logic.uploads import UploadGrant, grant_upload
from chalicelib.logic.visibility import is_visible
from chalicelib.privacy import is_mainland_mobile, normalize_phone

LANDLINE_OR_HOTLINE = re.compile(r"^(0\d{9,11}|400\d{7})$")
CERTIFICATE_FIELDS = ("name", "registration", "fundraising")


class CertificateInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=64, description="certificate number")
    issuer: str | None = Field(default=None, max_length=64, description="issuing authority, e.g. 湖北省民政厅")
    valid_from: date
    valid_to: date
    document_key: str | None = Field(
        default=None, max_length=300, description="S3 key of the scan, from POST /orgs/{id}/documents"
    )


class OrgApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=100, description="full registered name")
    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码, 18 characters")
    registration: CertificateInput = Field(description="登记证书")
    fundraising: CertificateInput | None = Field(default=None, description="公开募捐资格证书, if the charity has one")
    contact_name: str = Field(min_length=1, max_length=30)
    contact_phone: str = Field(min_length=5, max_length=20)


class OrgEdit(BaseModel):
    """Fields to change; ``"fundraising": null`` removes the qualification."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=100)
    registration: CertificateInput | None = None
    fundraising: CertificateInput | None = None
    contact_name: str | None = Field(default=None, min_length=1, max_length=30)
    contact_phone: str | None = Field(default=None, min_length=5, max_length=20)


def _check_phone(phone: str) -> str:
    normalized = normalize_phone(phone)
    if not (is_mainland_mobile(normalized) or LANDLINE_OR_HOTLINE.match(normalized)):
        raise ValidationFailed(
            "the contact phone is not a mainland mobile, landline or 400 number", code="invalid_phone"
        )
    return normalized


def _certificate(cert: CertificateInput, *, org_id: str, known_keys: list[str], field: str) -> Certificate:
    if cert.valid_to < cert.valid_from:
        raise ValidationFailed(
            f"{field}: valid_to is before valid_from",
            code="certificate_dates_invalid",
            details=[{"field": f"{field}.valid_to", "code": "before_valid_from"}],
        )
    if cert.document_key is not None and (
        not cert.document_key.startswith(f"orgs/{org_id}/") or cert.document_key not in known_keys
    ):
        raise ValidationFailed(
            f"{field}: upload the scan through POST /orgs/{{id}}/documents first",
            code="unknown_document_key",
            details=[{"field": f"{field}.document_key", "code": "unknown_document_key"}],
        )
    return Certificate(
        number=cert.number.strip(),
        issuer=cert.issuer,
        valid_from=cert.valid_from.isoformat(),
        valid_to=cert.valid_to.isoformat(),
        document_key=cert.document_key,
    )


def earliest_expiry(org: OrgModel) -> str:
    """The earliest valid_to among the charity's certificates (the certificate job's key)."""
    dates = [org.registration.valid_to]
    if org.fundraising is not None:
        dates.append(org.fundraising.valid_to)
    return min(dates)


def certificate_valid(cert: Certificate | None, today: date) -> bool:
    return cert is not None and cert.valid_from <= today.isoformat() <= cert.valid_to


def apply_for_org(application: OrgApplication, principal: Principal) -> OrgModel:
    """A signed-in user applies for a charity; it waits for review (status pending_review)."""
    credit_code = normalize_credit_code(application.credit_code)
    if not is_valid_credit_code(credit_code):
        raise ValidationFailed(
            "the unified social credit code is not valid (GB 32100-2015 check character)",
            code="invalid_credit_code",
            details=[{"field": "credit_code", "code": "invalid_credit_code"}],
        )
    org_id = new_id()
    now = to_iso(utcnow())
    org = OrgModel(
        org_id=org_id,
        name=application.name.strip(),
        credit_code=credit_code,
        registration=_certificate(application.registration, org_id=org_id, known_keys=[], field="registration"),
        fundraising=(
            _certificate(application.fundraising, org_id=org_id, known_keys=[], field="fundraising")
            if application.fundraising
            else None
        ),
        contact_name=application.contact_name.strip(),
        contact_phone=_check_phone(application.contact_phone),
        status="pending_review",
        applicant_sub=principal.sub,
        document_keys=[],
        created_at=now,
        updated_at=now,
    )
    org.cert_expires_on = earliest_expiry(org)
    org_store.create_org(org)
    record_status_change(
        subject_type="org",
        subject_id=org_id,
        from_status=None,
        to_status="pending_review",
        reason="applied",
        actor=principal.sub,
    )
    return org


def edit_org(org_id: str, edit: OrgEdit, principal: Principal | None) -> OrgModel:
    """Change a charity's data. Changing its name or certificates sends it back to review."""
    org = org_store.get_org(org_id)
    actor = require_manage_org(principal, org)
    read_status, read_updated = org.status, org.updated_at
    changed = edit.model_fields_set
    if "name" in changed and edit.name is not None:
        org.name = edit.name.strip()
    if "registration" in changed:
        if edit.registration is None:
            raise ValidationFailed("a charity must have its registration certificate", code="registration_required")
        org.registration = _certificate(
            edit.registration, org_id=org_id, known_keys=[str(k) for k in org.document_keys or []], field="registration"
        )
    if "fundraising" in changed:
        org.fundraising = (
            _certificate(
                edit.fundraising,
                org_id=org_id,
                known_keys=[str(k) for k in org.document_keys or []],
                field="fundraising",
            )
            if edit.fundraising
            else None
        )
    if "contact_name" in changed and edit.contact_name is not None:
        org.contact_name = edit.contact_name.strip()
    if "contact_phone" in changed and edit.contact_phone is not None:
        org.contact_phone = _check_phone(edit.contact_phone)
    org.cert_expires_on = earliest_expiry(org)
    back_to_review = bool(changed & set(CERTIFICATE_FIELDS)) and org.status != "pending_review"
    if back_to_review:
        org.status = "pending_review"
        org.reject_reason = None
    org.updated_at = to_iso(utcnow())
    org_store.save_org_if(org, expected_status=read_status, expected_updated_at=read_updated)
    if back_to_review:
        record_status_change(
            subject_type="org",
            subject_id=org_id,
            from_status=read_status,
            to_status="pending_review",
            reason="certificates_edited",
            actor=actor.sub,
        )
    return org


def _review(org_id: str, principal: Principal, *, to_status: str, reason: str | None) -> OrgModel:
    org = org_store.get_org(org_id)
    if org.status != "pending_review":
        raise InvalidTransition(f"the charity is {org.status}, not pending_review")
    read_status, read_updated = org.status, org.updated_at
    org.status = to_status
    org.reject_reason = reason if to_status == "rejected" else None
    org.cert_expires_on = earliest_expiry(org)
    org.updated_at = to_iso(utcnow())
    org_store.save_org_if(org, expected_status=read_status, expected_updated_at=read_updated)
    record_status_change(
        subject_type="org",
        subject_id=org_id,
        from_status=read_status,
        to_status=to_status,
        reason=reason or to_status,
        actor=principal.sub,
    )
    return org


def approve_org(org_id: str, principal: Principal) -> OrgModel:
    """Approve a pending charity whose registration certificate is valid today.

    Projects of the charity taken offline for ``certificate_expired`` come back
    when the renewed certificates make it valid again.
    """
    org = org_store.get_org(org_id)
    if org.status == "pending_review" and not certificate_valid(org.registration, shanghai_day(utcnow())):
        raise Conflict("the registration certificate is not valid today", code="registration_expired")
    approved = _review(org_id, principal, to_status="approved", reason="approved")
    from chalicelib.logic.projects.lifecycle import restore_after_certificate_renewal  # noqa: PLC0415 - avoids a cycle

    restore_after_certificate_renewal(approved, actor=principal.sub)
    return approved


def reject_org(org_id: str, reason: str, principal: Principal) -> OrgModel:
    return _review(org_id, principal, to_status="rejected", reason=reason)


def document_upload(
    org_id: str, *, kind: str, content_type: str, principal: Principal | None, settings: Settings
) -> UploadGrant:
    """A presigned PUT URL for a certificate scan, and the key to reference it by."""
    org = org_store.get_org(org_id)
    require_manage_org(principal, org)
    upload = grant_upload(settings, prefix=f"orgs/{org_id}/{kind}", content_type=content_type)
    org_store.add_document_key(org, upload.key)
    return upload


# -- reading -----------------------------------------------------------------------------------


def orgs_by_status(status: str) -> list[OrgModel]:
    """The review queue (or any status), earliest certificate expiry first."""
    return org_store.orgs_by_status(status)


def visible_org(org_id: str, principal: Principal | None) -> OrgModel:
    """A charity's public page is for approved charities; those who manage it see it in any status."""
    org = org_store.get_org(org_id)
    if org.status != "approved" and not may_manage_org(principal, org):
        raise NotFound(f"no charity {org_id}", code="org_not_found")
    return org


def visible_projects_of(org_id: str, principal: Principal | None) -> list[ProjectModel]:
    """The charity's projects the caller may see, newest first."""
    return [p for p in project_store.projects_of_org(org_id) if is_visible(p, principal)]
