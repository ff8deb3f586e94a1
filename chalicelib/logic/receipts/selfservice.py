"""Donors help themselves: fetch, look up, claim and verify the 三证.

Views returned here are plain dataclasses; the API layer turns them into its
response models. Nothing here reveals whether a phone number is known beyond
what a successful match returns.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime

from chalicelib.auth import Principal
from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.dal import receipts as store
from chalicelib.dal.aws import presigned_get
from chalicelib.dal.donations import DonationModel, donations_by_phone_hash, find_donation
from chalicelib.dal.projects import get_projects
from chalicelib.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from chalicelib.logic.receipts import issuing
from chalicelib.logic.receipts.issuing import DOCUMENT_TITLES, shanghai_date
from chalicelib.logic.receipts.numbering import ReceiptNumberAllocator
from chalicelib.logic.receipts.numerals import fen_to_capital, fen_to_figures
from chalicelib.privacy import is_mainland_mobile, mask_name, mask_phone, normalize_phone, phone_hash
from chalicelib.secrets import get_secret

RECEIPTABLE = frozenset({"paid", "refunded"})


@dataclass(frozen=True)
class DocumentLink:
    kind: str
    title: str
    number: str
    url: str
    expires_in: int
    size: int


@dataclass(frozen=True)
class ReceiptSet:
    """``status``: pending | issued | void | claimable (imported, not claimed) | none."""

    status: str
    number: str | None = None
    documents: list[DocumentLink] = field(default_factory=list)
    check_code: str | None = None  # printed on the documents; with ``verify_url`` once issued
    verify_url: str | None = None


@dataclass(frozen=True)
class DonationWithReceipts:
    donation_id: str
    project_id: str
    project_title: str
    amount_fen: int
    donated_on: str
    donor_name: str  # masked
    donor_phone: str | None  # masked
    channel: str
    status: str
    receipts: ReceiptSet


@dataclass(frozen=True)
class Verification:
    number: str
    status: str  # valid | void
    charity_name: str
    project_title: str
    amount_fen: int
    amount_figures: str
    amount_capitals: str
    donated_on: str
    issued_on: str
    donor_name: str  # masked
    donation_id: str  # links the receipt to its public ledger entry


@dataclass(frozen=True)
class ClaimResult:
    donation_id: str
    number: str
    status: str


# -- fetching ----------------------------------------------------------------------------------


def receipt_set(settings: Settings, donation: DonationModel, receipt: store.ReceiptModel | None) -> ReceiptSet:
    """What a donor may download for ``donation`` right now (links only for issued sets)."""
    if receipt is None:
        if donation.channel == "import" and donation.status == "paid":
            return ReceiptSet(status="claimable")
        return ReceiptSet(status="pending" if donation.status in ("pending", "paid") else "none")
    if receipt.status == "allocated":
        return ReceiptSet(status="pending", number=receipt.number)
    if receipt.status == "void":
        return ReceiptSet(status="void", number=receipt.number)
    docs = receipt.documents.as_dict() if receipt.documents is not None else {}
    ttl = settings.receipts_link_seconds
    links = [
        DocumentLink(
            kind=kind,
            title=title,
            number=receipt.number,
            url=presigned_get(settings, settings.receipts_bucket, docs[kind]["key"], expires_in=ttl),
            expires_in=ttl,
            size=int(docs[kind]["size"]),
        )
        for kind, title in DOCUMENT_TITLES.items()
        if kind in docs
    ]
    return ReceiptSet(
        status="issued",
        number=receipt.number,
        documents=links,
        check_code=receipt.check_code,
        verify_url=issuing.verify_url(settings, receipt.number, receipt.check_code),
    )


def receipts_for_donor(settings: Settings, principal: Principal, donation_id: str) -> ReceiptSet:
    """GET /donations/{id}/receipts: the donor who gave (or claimed) it, or a platform admin."""
    donation = find_donation(donation_id)
    if donation is None:
        raise NotFound("no such donation")
    receipt = store.find_receipt(donation_id)
    owners = {donation.donor_sub, receipt.claimed_by_sub if receipt else None} - {None}
    if not principal.is_platform_admin and principal.sub not in owners:
        raise Forbidden("only the donor or a platform admin may fetch these receipts")
    result = receipt_set(settings, donation, receipt)
    if result.status == "void":
        raise Conflict("the donation was refunded; its receipts are void", code="receipt_void")
    if result.status == "claimable":
        raise Conflict("imported donations get receipts once claimed (POST /receipts/claims)", code="claim_required")
    if result.status == "none":
        raise Conflict(f"a {donation.status} donation has no receipts", code="no_receipts")
    return result


# -- self-service look-up ----------------------------------------------------------------------


def _hashed_mobile(settings: Settings, mobile: str) -> str:
    """The keyed hash the donations table indexes (key: SSM in dev/prod, literal locally)."""
    phone = normalize_phone(mobile)
    if not is_mainland_mobile(phone):
        raise ValidationFailed("mobile must be a mainland China mobile number", code="invalid_mobile")
    key = get_secret(settings, settings.phone_hash_key_name, local_value=settings.phone_hash_key)
    return phone_hash(key, phone)


def enforce_limits(settings: Settings, *, hashed_phone: str, client: str, now: datetime) -> None:
    """Fixed windows per client address and per phone (hash); 429 with Retry-After past either."""
    window = settings.receipts_lookup_window_seconds
    epoch = int(now.timestamp())
    start = epoch - epoch % window
    retry_after = max(1, start + window - epoch)
    expires = start + window + 3600  # DynamoDB TTL deletes buckets a while after their window
    checks = (
        (f"client#{client}#{start}", settings.receipts_lookups_per_client),
        (f"phone#{hashed_phone}#{start}", settings.receipts_lookups_per_phone),
    )
    for bucket, limit in checks:
        if store.count_hit(bucket, expires_at_epoch=expires) > limit:
            raise RateLimited("too many look-ups; try again later", retry_after=retry_after)


def _masked(
    settings: Settings, donation: DonationModel, receipt: store.ReceiptModel | None, title: str
) -> DonationWithReceipts:
    return DonationWithReceipts(
        donation_id=donation.donation_id,
        project_id=donation.project_id,
        project_title=title,
        amount_fen=int(donation.amount_fen),
        donated_on=shanghai_date(donation.paid_at or donation.created_at),
        donor_name=mask_name(donation.donor_name, anonymous=bool(donation.anonymous)),
        donor_phone=mask_phone(donation.donor_phone),
        channel=donation.channel,
        status=donation.status,
        receipts=receipt_set(settings, donation, receipt),
    )


def _project_titles(project_ids: list[str]) -> dict[str, str]:
    if not project_ids:
        return {}
    return {p.project_id: p.title for p in get_projects(list(dict.fromkeys(project_ids)))}


def lookup(
    settings: Settings,
    *,
    mobile: str,
    donor_name: str | None,
    donation_id: str | None,
    client: str,
    now: datetime | None = None,
) -> list[DonationWithReceipts]:
    """POST /receipts/lookup: mobile + name, or donation id + mobile. No match: an empty list."""
    hashed = _hashed_mobile(settings, mobile)
    enforce_limits(settings, hashed_phone=hashed, client=client, now=now or utcnow())
    if donation_id:
        one = find_donation(donation_id)
        found = [one] if one is not None and one.phone_hash and hmac.compare_digest(one.phone_hash, hashed) else []
    else:
        name = (donor_name or "").strip()
        found = [d for d in donations_by_phone_hash(hashed) if (d.donor_name or "").strip() == name]
    found = [d for d in found if d.status in RECEIPTABLE]
    receipts = store.receipts_for([d.donation_id for d in found])
    titles = _project_titles([d.project_id for d in found])
    return [_masked(settings, d, receipts.get(d.donation_id), titles.get(d.project_id, "")) for d in found]


# -- claims (imported donations) -------------------------------------------------------------------


def claim(
    settings: Settings,
    *,
    name: str,
    mobile: str,
    amount_fen: int,
    donated_on: date,
    project_id: str,
    client: str,
    claimant_sub: str | None,
    now: datetime | None = None,
) -> ClaimResult:
    """POST /receipts/claims: exactly one unclaimed imported donation matches -> issue its 三证."""
    now = now or utcnow()
    hashed = _hashed_mobile(settings, mobile)
    enforce_limits(settings, hashed_phone=hashed, client=client, now=now)
    matches = [
        d
        for d in donations_by_phone_hash(hashed)
        if d.channel == "import"
        and d.status == "paid"
        and (d.donor_name or "").strip() == name.strip()
        and int(d.amount_fen) == amount_fen
        and d.project_id == project_id
        and shanghai_date(d.paid_at or d.created_at) == donated_on.isoformat()
    ]
    if not matches:
        raise NotFound("no imported donation matches these details", code="no_match")
    claimed = store.receipts_for([d.donation_id for d in matches])
    unclaimed = [d for d in matches if d.donation_id not in claimed]
    if not unclaimed:
        # A signed-in claimant repeating their own claim (a retried request) gets the same answer.
        mine = [r for r in claimed.values() if claimant_sub and r.claimed_by_sub == claimant_sub]
        if len(mine) == 1:
            return ClaimResult(donation_id=mine[0].donation_id, number=mine[0].number, status="pending")
        raise Conflict("the matching donation's receipts were already claimed", code="already_claimed")
    if len(unclaimed) > 1:
        raise Conflict("several imported donations match; add details or contact the charity", code="ambiguous_match")
    receipt, created = ReceiptNumberAllocator(settings).allocate(unclaimed[0], now=now, claimed_by_sub=claimant_sub)
    if not created:
        raise Conflict("the matching donation's receipts were already claimed", code="already_claimed")
    return ClaimResult(donation_id=receipt.donation_id, number=receipt.number, status="pending")


# -- public verification ---------------------------------------------------------------------------


def verify(number: str, code: str | None) -> Verification:
    """GET /receipts/verify/{number}?code=: 404 unless number and check code both match."""
    receipt = store.find_receipt_by_number(number) if code else None
    if receipt is None or not hmac.compare_digest(receipt.check_code.encode(), (code or "").strip().upper().encode()):
        raise NotFound("no receipt with this number and check code", code="receipt_not_found")
    return Verification(
        number=receipt.number,
        status="void" if receipt.status == "void" else "valid",
        charity_name=receipt.charity_name,
        project_title=receipt.project_title,
        amount_fen=int(receipt.amount_fen),
        amount_figures=fen_to_figures(int(receipt.amount_fen)),
        amount_capitals=fen_to_capital(int(receipt.amount_fen)),
        donated_on=shanghai_date(receipt.donated_at),
        issued_on=shanghai_date(receipt.allocated_at),
        donor_name=mask_name(receipt.donor_name, anonymous=bool(receipt.anonymous)),
        donation_id=receipt.donation_id,
    )
