"""Charities (慈善组织): one item per charity."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.transactions import connection_for
from chalicelib.errors import Conflict, NotFound


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


class OrgCreditCodeModel(GongyiModel):
    """One item per credit code: the guard that makes a charity's code unique on the platform."""

    table_suffix = "org-credit-codes"

    class Meta:
        table_name = "unbound"

    credit_code = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()


def create_org(org: OrgModel) -> None:
    """Store a new charity; ``Conflict(credit_code_taken)`` if its credit code is already registered."""
    guard = OrgCreditCodeModel(credit_code=org.credit_code, org_id=org.org_id)
    connection = connection_for(OrgModel)
    try:
        with TransactWrite(connection=connection) as tx:
            tx.save(guard, condition=OrgCreditCodeModel.credit_code.does_not_exist())
            tx.save(org, condition=OrgModel.org_id.does_not_exist())
    except TransactWriteError as exc:
        if condition_failed(exc):
            raise Conflict("a charity with this credit code is already registered", code="credit_code_taken") from exc
        raise


def get_org(org_id: str) -> OrgModel:
    try:
        return OrgModel.get(org_id, consistent_read=True)
    except OrgModel.DoesNotExist:
        raise NotFound(f"no charity {org_id}", code="org_not_found") from None


def find_org(org_id: str) -> OrgModel | None:
    try:
        return OrgModel.get(org_id)
    except OrgModel.DoesNotExist:
        return None


def orgs_by_status(status: str, *, limit: int = 100) -> list[OrgModel]:
    """Charities of one status, earliest certificate expiry first (the review queue)."""
    return list(OrgModel.by_status_cert_expiry.query(status, limit=limit))


def add_document_key(org: OrgModel, key: str) -> None:
    """Remember an upload key handed out to the charity (a certificate may only reference those)."""
    org.update(actions=[OrgModel.document_keys.set(OrgModel.document_keys.append([key]))])


def save_org_if(org: OrgModel, *, expected_status: str, expected_updated_at: str) -> None:
    """Write ``org`` only if nobody changed it since it was read (status and updated_at)."""
    try:
        org.save(condition=(OrgModel.status == expected_status) & (OrgModel.updated_at == expected_updated_at))
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict("the charity changed meanwhile; reload and retry", code="concurrent_update") from exc
        raise


# -- compliance slice --
# The queries the compliance jobs are keyed on (never a Scan; each counts what it read in a ``ReadMeter``).
from chalicelib.dal.compliance.meter import ReadMeter  # noqa: E402


def orgs_with_certificates_expiring_by(last_day: str, meter: ReadMeter, status: str = "approved") -> list[OrgModel]:
    """Charities of ``status`` whose earliest certificate ends on or before ``last_day`` (YYYY-MM-DD)."""
    return meter.drain(OrgModel.by_status_cert_expiry.query(status, OrgModel.cert_expires_on <= last_day))


def approved_orgs(meter: ReadMeter) -> list[OrgModel]:
    """Every approved charity (the monthly report covers them all)."""
    return meter.drain(OrgModel.by_status_cert_expiry.query("approved"))
