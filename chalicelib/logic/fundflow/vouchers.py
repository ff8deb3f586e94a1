"""Voucher files: uploading them, checking and describing them when attached, and their public part.

A voucher (invoice, bank slip, hospital bill, receipt) often shows what must
not be public: a patient's name, an ID number, a full bank account. So the file
stays private; what is public about every voucher is what it is (role, type,
size), when it was uploaded, and its SHA-256, recorded when it was attached, so
that anyone later shown the file can tell it is the one recorded. A charity
marks a file public (``public_voucher_keys``: a redacted copy, a supplier's
invoice) and only then does the public tree carry a short-lived link to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import Principal, Role
from chalicelib.config import Settings
from chalicelib.dal import projects as project_store
from chalicelib.dal.aws import presigned_get
from chalicelib.dal.fundflow import VoucherAttribute
from chalicelib.dal.fundflow.documents import file_sha256, stored_file
from chalicelib.errors import Forbidden, ValidationFailed
from chalicelib.logic.uploads import UploadGrant, grant_upload

MAX_VOUCHER_BYTES = 10 * 1024 * 1024  # hashed in the request that attaches it
PUBLIC_LINK_SECONDS = 300


def staff_of(principal: Principal) -> str:
    if principal.role is not Role.ORG_ADMIN or not principal.org_id:
        raise Forbidden("only a charity's staff move its money", code="not_charity_staff")
    return principal.org_id


def voucher_prefix(project_id: str, org_id: str) -> str:
    return f"fundflow/{project_id}/{org_id}"


def check_vouchers(keys: list[str], project_id: str, org_id: str) -> None:
    prefix = voucher_prefix(project_id, org_id) + "/"
    bad = [k for k in keys if not k.startswith(prefix) or ".." in k]
    if bad:
        raise ValidationFailed(f"voucher keys must come from this charity's uploads ({prefix}...)", code="bad_voucher")


def voucher_upload(settings: Settings, project_id: str, content_type: str, principal: Principal) -> UploadGrant:
    org_id = staff_of(principal)
    project_store.get_project(project_id)
    return grant_upload(settings, prefix=voucher_prefix(project_id, org_id), content_type=content_type)


def describe_vouchers(
    settings: Settings, keys: list[str], public_keys: list[str], *, role: str, project_id: str, org_id: str
) -> list[VoucherAttribute]:
    """Check each attached file (this charity's upload, present, at most 10 MB) and record its facts."""
    check_vouchers(keys, project_id, org_id)
    described = []
    for key in dict.fromkeys(keys):
        found = stored_file(settings, key)
        if found is None:
            raise ValidationFailed(f"nothing was uploaded as {key}", code="voucher_not_uploaded")
        if found.size_bytes > MAX_VOUCHER_BYTES:
            raise ValidationFailed(f"{key} is over {MAX_VOUCHER_BYTES} bytes", code="voucher_too_large")
        described.append(
            VoucherAttribute(
                key=key,
                role=role,
                content_type=found.content_type,
                size_bytes=found.size_bytes,
                uploaded_at=found.uploaded_at,
                sha256=file_sha256(settings, key),
                public=key in public_keys,
            )
        )
    return described


@dataclass
class PublicDocument:
    role: str
    content_type: str
    size_bytes: int
    uploaded_at: str
    sha256: str
    public: bool
    url: str | None  # a short-lived link, only for a file the charity published


def public_documents(settings: Settings, documents: list[VoucherAttribute] | None) -> list[PublicDocument]:
    return [
        PublicDocument(
            role=d.role,
            content_type=d.content_type,
            size_bytes=int(d.size_bytes),
            uploaded_at=d.uploaded_at,
            sha256=d.sha256,
            public=bool(d.public),
            url=presigned_get(settings, settings.documents_bucket, d.key, expires_in=PUBLIC_LINK_SECONDS)
            if d.public
            else None,
        )
        for d in documents or []
    ]
