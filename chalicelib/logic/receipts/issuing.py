"""Issuing and voiding the 三证.

Two steps, each triggered by a stream and each idempotent:

1. ``on_donation_change`` (donations stream): a provider-paid donation gets its
   receipt number (``ReceiptNumberAllocator``); a refunded one gets its receipt
   set voided. Cheap: no PDF library.
2. ``render_receipt_set`` (receipts stream, status ``allocated``): renders the
   three PDFs, stores them privately in S3 under keys derived from the number,
   and marks the set ``issued``. A retry re-renders byte-identical files to the
   same keys.

Claims of imported donations (``selfservice.claim``) allocate through the
same allocator, so step 2 renders them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clock import SHANGHAI, parse_iso, to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import receipts as store
from chalicelib.dal.donations import donations_by_id, find_donation
from chalicelib.logic.receipts.numbering import ReceiptNumberAllocator
from chalicelib.observability import logger

DOCUMENT_TITLES = {
    "thank_you_letter": "感谢信",
    "donation_certificate": "捐赠证书",
    "donation_receipt": "捐赠票据",
}
PROVIDER_CHANNELS = frozenset({"wechat", "alipay", "sandbox"})


def shanghai_date(iso: str) -> str:
    return parse_iso(iso).astimezone(SHANGHAI).date().isoformat()


def verify_url(settings: Settings, number: str, check_code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/receipts/verify/{number}?code={check_code}"


def document_key(receipt: store.ReceiptModel, kind: str) -> str:
    return f"receipts/{receipt.org_id}/{receipt.number}/{kind}.pdf"


def _numberable(new_image: dict[str, Any] | None) -> bool:
    return new_image is not None and new_image.get("status") == "paid" and new_image.get("channel") in PROVIDER_CHANNELS


def number_batch(
    settings: Settings, new_images: list[dict[str, Any] | None], *, now: datetime | None = None
) -> set[str]:
    """Number a stream batch's paid donations together (``allocate_many``); the ids numbered.
    Each record then still goes through ``on_donation_change``, which skips these."""
    ids = [str(image["donation_id"]) for image in new_images if image and _numberable(image)]
    if len(set(ids)) < 2:
        return set()
    donations = list(donations_by_id(ids).values())
    return ReceiptNumberAllocator(settings).allocate_many(donations, now=now or utcnow())


def on_donation_change(
    settings: Settings,
    new_image: dict[str, Any] | None,
    *,
    now: datetime | None = None,
    numbered: set[str] | frozenset[str] = frozenset(),
) -> str:
    """React to one donations-stream record; returns what was done (for logs and tests).
    ``numbered``: donations the batch already numbered (``number_batch``)."""
    if not new_image:
        return "ignored"
    donation_id, status = new_image.get("donation_id"), new_image.get("status")
    now = now or utcnow()
    if status == "refunded":
        receipt = store.mark_void(str(donation_id), to_iso(now))
        return "voided" if receipt is not None else "nothing_to_void"
    if not _numberable(new_image):
        return "ignored"
    if donation_id in numbered:
        return "allocated"
    donation = find_donation(str(donation_id))
    if donation is None or donation.status != "paid":
        return "ignored"
    try:
        receipt, created = ReceiptNumberAllocator(settings).allocate(donation, now=now)
    except store.DonationNotReceiptable:
        return "ignored"  # refunded between our read and the transaction
    logger.info("receipt number", extra={"donation_id": donation.donation_id, "number": receipt.number})
    return "allocated" if created else "already_allocated"


def render_streamed_set(settings: Settings, new_image: dict[str, Any]) -> str:
    """The renderer's step for one receipts-stream record (DynamoDB JSON of the new image)."""
    receipt = store.receipt_from_stream(new_image)
    return render_receipt_set(settings, receipt.donation_id, as_streamed=receipt)


def render_receipt_set(
    settings: Settings,
    donation_id: str,
    *,
    now: datetime | None = None,
    as_streamed: store.ReceiptModel | None = None,
) -> str:
    """Render and store the three PDFs of an allocated set; returns what was done.
    ``as_streamed``: the set as its stream record shows it, instead of reading it (a set
    voided since is still never marked issued: ``mark_issued`` is conditional)."""
    from chalicelib.logic.receipts.documents import ReceiptFacts, render_set

    receipt = as_streamed or store.find_receipt(donation_id)
    if receipt is None:
        return "missing"
    if receipt.status != "allocated":
        return f"already_{receipt.status}"
    now = now or utcnow()
    facts = ReceiptFacts(
        number=receipt.number,
        check_code=receipt.check_code,
        donor_name=receipt.donor_name,
        charity_name=receipt.charity_name,
        charity_code=receipt.charity_code,
        project_title=receipt.project_title,
        amount_fen=int(receipt.amount_fen),
        donated_on=shanghai_date(receipt.donated_at),
        issued_on=shanghai_date(receipt.allocated_at),
        verify_url=verify_url(settings, receipt.number, receipt.check_code),
    )
    pdfs = {kind: (document_key(receipt, kind), pdf) for kind, pdf in render_set(facts).items()}
    store.put_documents(settings, dict(pdfs.values()))
    stored = {kind: (key, len(pdf)) for kind, (key, pdf) in pdfs.items()}
    if not store.mark_issued(receipt, stored, to_iso(now)):
        return "voided_meanwhile"
    logger.info("receipts issued", extra={"donation_id": donation_id, "number": receipt.number})
    return "issued"
