"""Issuing and voiding the 三证.

Two steps, each triggered by a stream and each idempotent:

1. ``on_donation_change`` (donations stream): a provider-paid donation gets its
   receipt number (``ReceiptNumberAllocator``); a refunded one gets its receipt
   set voided. Cheap: no PDF library.
2. ``issue_streamed_sets`` (receipts stream, status ``allocated``): renders the
   three PDFs of each set of the batch, stores them privately in S3 under keys
   derived from the number, and marks the sets ``issued`` in one transaction.
   A retry re-renders byte-identical files to the same keys and keeps the first
   time of issue. ``render_receipt_set`` does the same for one donation's set,
   read from the table.

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
from chalicelib.threads import map_in_threads

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


# Sets of a stream batch rendered and stored side by side: their storage calls overlap.
RENDER_IN_PARALLEL = 4


def issue_streamed_sets(
    settings: Settings, new_images: list[dict[str, Any]], *, now: datetime | None = None
) -> list[str | Exception]:
    """The renderer's step for a stream batch (DynamoDB JSON of each record's new image): each
    allocated set rendered and stored (``RENDER_IN_PARALLEL`` at a time), then all marked issued
    in one transaction per ``MAX_ISSUES_PER_TRANSACTION`` sets (one by one when a set was voided
    meanwhile). One outcome per image, in
    order: what was done, or the exception of a set that failed (it alone is retried)."""
    issued_at = to_iso(now or utcnow())
    receipts = [store.receipt_from_stream(image) for image in new_images]
    # A replayed batch can hold a set twice: it is rendered and marked once.
    first = {receipt.donation_id: index for index, receipt in reversed(list(enumerate(receipts)))}
    todo = [receipt for index, receipt in enumerate(receipts) if first[receipt.donation_id] == index]
    stored = dict(
        zip(
            [receipt.donation_id for receipt in todo],
            map_in_threads(lambda receipt: _render_and_store(settings, receipt), todo, at_most=RENDER_IN_PARALLEL),
            strict=True,
        )
    )
    ready = [(receipt, documents) for receipt in todo if isinstance(documents := stored[receipt.donation_id], dict)]
    done: dict[str, str | Exception] = {
        donation_id: documents for donation_id, documents in stored.items() if not isinstance(documents, dict)
    }
    for n in range(0, len(ready), store.MAX_ISSUES_PER_TRANSACTION):
        chunk = ready[n : n + store.MAX_ISSUES_PER_TRANSACTION]
        if store.mark_issued_many(chunk, issued_at):
            done.update({receipt.donation_id: "issued" for receipt, _ in chunk})
        else:
            for receipt, documents in chunk:
                done[receipt.donation_id] = _mark_issued(receipt, documents, issued_at)
    return [done[receipt.donation_id] for receipt in receipts]


def render_receipt_set(settings: Settings, donation_id: str, *, now: datetime | None = None) -> str:
    """Render and store the three PDFs of the donation's allocated set and mark it issued;
    returns what was done."""
    receipt = store.find_receipt(donation_id)
    if receipt is None:
        return "missing"
    documents = _render_and_store(settings, receipt)
    if isinstance(documents, str):
        return documents
    return _mark_issued(receipt, documents, to_iso(now or utcnow()))


def _render_and_store(settings: Settings, receipt: store.ReceiptModel) -> store.Documents | str:
    """The set's three PDFs rendered and stored under keys derived from its number; a set not
    (or no longer) allocated is left alone (``already_<status>``)."""
    from chalicelib.logic.receipts.documents import ReceiptFacts, render_set

    if receipt.status != "allocated":
        return f"already_{receipt.status}"
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
    return {kind: (key, len(pdf)) for kind, (key, pdf) in pdfs.items()}


def _mark_issued(receipt: store.ReceiptModel, documents: store.Documents, issued_at: str) -> str:
    # Conditional: a set voided since its stream record was written is never marked issued.
    if not store.mark_issued(receipt, documents, issued_at):
        return "voided_meanwhile"
    logger.info("receipts issued", extra={"donation_id": receipt.donation_id, "number": receipt.number})
    return "issued"
