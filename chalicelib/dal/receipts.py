"""Receipts (三证): one receipt set per donation, numbering counters, rate-limit buckets.

- ``ReceiptModel``: one item per donation. It is also the donation's *claim* on
  its number: it is written in the same transaction that advances the
  charity's counter, so a number exists only together with the donation it
  belongs to. Its stream (NEW_IMAGE) feeds the renderer.
- ``ReceiptCounterModel``: one item per charity per year, ``last_seq``.
- ``LookupBucketModel``: fixed-window counters for self-service look-ups, with TTL.

Only this module talks to DynamoDB and S3 for receipts; storage errors become
the domain exceptions below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.donations import DonationModel, find_donation
from chalicelib.dal.transactions import connection_for
from chalicelib.errors import Conflict

PDF = "application/pdf"


class CounterMoved(Conflict):
    """Another issuer took the number this one expected: read the counter again."""

    code = "receipt_counter_moved"


class AlreadyNumbered(Conflict):
    """The donation already has its receipt set (and number)."""

    code = "already_numbered"


class DonationNotReceiptable(Conflict):
    """The donation is not (or no longer) paid: no number may be allocated."""

    code = "donation_not_receiptable"


class Document(MapAttribute):  # type: ignore[type-arg]
    key = UnicodeAttribute()
    size = NumberAttribute()


class ReceiptsByNumber(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """The public verify page finds a receipt set by its number."""

    class Meta:
        index_name = "by_number"
        projection = AllProjection()

    number = UnicodeAttribute(hash_key=True)


class ReceiptModel(GongyiModel):
    table_suffix = "receipts"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_IMAGE"

    donation_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute()  # f"{charity code}-{year}-{seq:08d}", shared by the three documents
    counter_id = UnicodeAttribute()
    seq = NumberAttribute()
    check_code = UnicodeAttribute()  # printed on the documents; verify needs it
    status = UnicodeAttribute()  # allocated -> issued; allocated|issued -> void
    org_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    # Snapshot of what the documents print (the verify page shows the same).
    charity_name = UnicodeAttribute()
    charity_code = UnicodeAttribute()
    project_title = UnicodeAttribute()
    donor_name = UnicodeAttribute()  # as printed: the donor's name, or 爱心人士 when anonymous
    anonymous = BooleanAttribute(default=False)
    amount_fen = NumberAttribute()
    donated_at = UnicodeAttribute()
    channel = UnicodeAttribute()
    claimed = BooleanAttribute(default=False)  # issued through a claim (imported donation)
    claimed_by_sub = UnicodeAttribute(null=True)
    allocated_at = UnicodeAttribute()
    issued_at = UnicodeAttribute(null=True)
    voided_at = UnicodeAttribute(null=True)
    documents = MapAttribute(null=True)  # type: ignore[var-annotated]  # kind -> {key, size}

    by_number = ReceiptsByNumber()

    def document_keys(self) -> dict[str, str]:
        docs = self.documents.as_dict() if self.documents is not None else {}
        return {kind: doc["key"] for kind, doc in docs.items()}


class ReceiptCounterModel(GongyiModel):
    """``last_seq`` of one charity's receipts in one year."""

    table_suffix = "receipt-counters"

    class Meta:
        table_name = "unbound"

    counter_id = UnicodeAttribute(hash_key=True)  # f"{org_id}#{year}"
    last_seq = NumberAttribute()

    @staticmethod
    def key_for(org_id: str, year: int) -> str:
        return f"{org_id}#{year}"


class LookupBucketModel(GongyiModel):
    """Fixed-window request counters (``bucket`` = purpose#subject#window start)."""

    table_suffix = "receipt-lookup-buckets"

    class Meta:
        table_name = "unbound"

    bucket = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()


# -- receipt sets ------------------------------------------------------------------------------


def find_receipt(donation_id: str, *, consistent: bool = True) -> ReceiptModel | None:
    try:
        return ReceiptModel.get(donation_id, consistent_read=consistent)
    except DoesNotExist:
        return None


def receipts_for(donation_ids: list[str]) -> dict[str, ReceiptModel]:
    if not donation_ids:
        return {}
    return {r.donation_id: r for r in ReceiptModel.batch_get(list(dict.fromkeys(donation_ids)))}


def find_receipt_by_number(number: str) -> ReceiptModel | None:
    for receipt in ReceiptModel.by_number.query(number, limit=1):
        return receipt
    return None


def read_last_seq(counter_id: str) -> int:
    try:
        return int(ReceiptCounterModel.get(counter_id, consistent_read=True).last_seq)
    except DoesNotExist:
        return 0


def claim_number(settings: Settings, receipt: ReceiptModel, *, expected_last_seq: int) -> None:
    """Take number ``expected_last_seq + 1`` for ``receipt``'s donation, atomically.

    One transaction: the donation is still paid, the counter still reads
    ``expected_last_seq`` (and moves to ``receipt.seq``), and the donation has no
    receipt set yet. Either all three hold and both items are written, or
    nothing is written and the reason is raised: ``AlreadyNumbered``,
    ``CounterMoved`` or ``DonationNotReceiptable``. (``settings`` is not needed any
    more: the transaction uses the models' own binding.)
    """
    try:
        with TransactWrite(connection=connection_for(ReceiptModel)) as tx:
            tx.condition_check(DonationModel, receipt.donation_id, condition=DonationModel.status == "paid")
            if expected_last_seq == 0:
                tx.save(
                    ReceiptCounterModel(receipt.counter_id, last_seq=receipt.seq),
                    condition=ReceiptCounterModel.counter_id.does_not_exist(),
                )
            else:
                tx.update(
                    ReceiptCounterModel(receipt.counter_id),
                    actions=[ReceiptCounterModel.last_seq.set(receipt.seq)],
                    condition=ReceiptCounterModel.last_seq == expected_last_seq,
                )
            tx.save(receipt, condition=ReceiptModel.donation_id.does_not_exist())
    except TransactWriteError:
        # Decide from the items, not from the cancellation reasons: reading them back is
        # the one answer that is also right after a transaction conflict or a retried call.
        if find_receipt(receipt.donation_id) is not None:
            raise AlreadyNumbered("this donation already has its receipts") from None
        donation = find_donation(receipt.donation_id)
        if donation is None or donation.status != "paid":
            raise DonationNotReceiptable("the donation is not paid") from None
        raise CounterMoved("the receipt counter moved") from None


# A transaction holds at most 100 actions: the counter + a paid check and a claim per donation.
MAX_CLAIMS_PER_TRANSACTION = 49


def claim_numbers(receipts: list[ReceiptModel], *, expected_last_seq: int) -> bool:
    """Take numbers ``expected_last_seq + 1 ..`` for several donations of one charity and year
    (``receipts`` in number order, all on one counter), in ONE transaction with the same three
    conditions as ``claim_number`` for each; False when any fails (nothing written: the caller
    numbers those donations one by one, which decides each case)."""
    if not 0 < len(receipts) <= MAX_CLAIMS_PER_TRANSACTION:
        raise ValueError(f"1 to {MAX_CLAIMS_PER_TRANSACTION} receipts a transaction, not {len(receipts)}")
    counter_id, last = receipts[0].counter_id, receipts[-1].seq
    try:
        with TransactWrite(connection=connection_for(ReceiptModel)) as tx:
            if expected_last_seq == 0:
                tx.save(
                    ReceiptCounterModel(counter_id, last_seq=last),
                    condition=ReceiptCounterModel.counter_id.does_not_exist(),
                )
            else:
                tx.update(
                    ReceiptCounterModel(counter_id),
                    actions=[ReceiptCounterModel.last_seq.set(last)],
                    condition=ReceiptCounterModel.last_seq == expected_last_seq,
                )
            for receipt in receipts:
                tx.condition_check(DonationModel, receipt.donation_id, condition=DonationModel.status == "paid")
                tx.save(receipt, condition=ReceiptModel.donation_id.does_not_exist())
    except TransactWriteError:
        return False
    return True


Documents = dict[str, tuple[str, int]]  # kind -> (S3 key, size in bytes)


def _issued_actions(documents: Documents, issued_at: str) -> list[Any]:
    return [
        ReceiptModel.status.set("issued"),
        ReceiptModel.issued_at.set(ReceiptModel.issued_at | issued_at),  # a replay keeps the first time
        ReceiptModel.documents.set({kind: {"key": key, "size": size} for kind, (key, size) in documents.items()}),
    ]


_STILL_ISSUABLE = ReceiptModel.status.is_in("allocated", "issued")
# A transaction holds at most 100 actions; the renderer's stream batch is 25 sets.
MAX_ISSUES_PER_TRANSACTION = 100


def mark_issued(receipt: ReceiptModel, documents: Documents, issued_at: str) -> bool:
    """allocated -> issued with the documents' keys; False when the set was voided meanwhile."""
    try:
        receipt.update(actions=_issued_actions(documents, issued_at), condition=_STILL_ISSUABLE)
        return True
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise


def mark_issued_many(sets: list[tuple[ReceiptModel, Documents]], issued_at: str) -> bool:
    """``mark_issued`` for several sets (distinct donations) in ONE transaction, each with its
    own condition; False when any was voided meanwhile (nothing written: the caller marks those
    sets one by one, which decides each)."""
    if not 0 < len(sets) <= MAX_ISSUES_PER_TRANSACTION:
        raise ValueError(f"1 to {MAX_ISSUES_PER_TRANSACTION} sets a transaction, not {len(sets)}")
    try:
        with TransactWrite(connection=connection_for(ReceiptModel)) as tx:
            for receipt, documents in sets:
                tx.update(receipt, actions=_issued_actions(documents, issued_at), condition=_STILL_ISSUABLE)
    except TransactWriteError:
        return False
    return True


def mark_void(donation_id: str, voided_at: str) -> ReceiptModel | None:
    """Void the donation's receipt set (idempotent); None when it has none."""
    receipt = ReceiptModel(donation_id)
    try:
        receipt.update(
            actions=[ReceiptModel.status.set("void"), ReceiptModel.voided_at.set(voided_at)],
            condition=ReceiptModel.donation_id.exists() & (ReceiptModel.status != "void"),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    return find_receipt(donation_id)


# -- documents in S3 ---------------------------------------------------------------------------


def put_document(settings: Settings, key: str, body: bytes) -> None:
    aws_client(settings, "s3").put_object(
        Bucket=settings.receipts_bucket, Key=key, Body=body, ContentType=PDF, ServerSideEncryption="AES256"
    )


def put_documents(settings: Settings, documents: dict[str, bytes]) -> None:
    """Store a set's PDFs (key -> bytes)."""
    for key, body in documents.items():
        put_document(settings, key, body)


def receipt_from_stream(new_image: dict[str, Any]) -> ReceiptModel:
    """The receipt as a receipts-stream record carries it (DynamoDB JSON): no read needed."""
    return ReceiptModel.from_raw_data(new_image)


def get_document(settings: Settings, key: str) -> bytes:
    return bytes(aws_client(settings, "s3").get_object(Bucket=settings.receipts_bucket, Key=key)["Body"].read())


# -- rate limiting -------------------------------------------------------------------------------


def count_hit(bucket: str, *, expires_at_epoch: int) -> int:
    """Add one hit to a fixed-window bucket; returns the hits so far, this one included."""
    item = LookupBucketModel(bucket)
    item.update(
        actions=[
            LookupBucketModel.hits.add(1),
            LookupBucketModel.expires_at.set(datetime.fromtimestamp(expires_at_epoch, UTC)),
        ]
    )
    return int(item.hits)
