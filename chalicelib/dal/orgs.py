"""Charities (慈善组织): one item per charity."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel


class Certificate(MapAttribute):  # type: ignore[type-arg]
    number = UnicodeAttribute()
    issuer = UnicodeAttribute(null=True)
    valid_from = UnicodeAttribute()  # YYYY-MM-DD, Asia/Shanghai calendar
    valid_to = UnicodeAttribute()
    document_key = UnicodeAttribute(null=True)


class OrgsByStatusCertExpiry(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Approved charities by the earliest expiry of their certificates (certificate job)."""

    class Meta:
        index_name = "by_status_cert_expiry"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    cert_expires_on = UnicodeAttribute(range_key=True)


class OrgModel(GongyiModel):
    table_suffix = "orgs"

    class Meta:
        table_name = "unbound"

    org_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    credit_code = UnicodeAttribute()
    registration = Certificate()
    fundraising = Certificate(null=True)
    contact_name = UnicodeAttribute()
    contact_phone = UnicodeAttribute()
    status = UnicodeAttribute()  # pending_review | approved | rejected
    reject_reason = UnicodeAttribute(null=True)
    applicant_sub = UnicodeAttribute()
    document_keys = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    cert_expires_on = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    by_status_cert_expiry = OrgsByStatusCertExpiry()
