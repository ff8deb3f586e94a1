"""Payments: provider transactions, distinct-donor markers, and the two transactions that
move money in the totals (confirm and refund; the refund items are ``chalicelib.dal.refunds``).

Every state change that touches the totals is ONE ``TransactWriteItems``:

* confirm: donation ``pending -> paid`` (conditions: still pending, not past
  ``pay_by``, same amount/project/shard/donor/channel) + provider transaction
  item (``attribute_not_exists``: a transaction id counts once, whatever the
  retries) + one counter shard (``ADD``) + the donor marker (new donor: put
  with ``attribute_not_exists``, the donor counts once; known donor: ``ADD``).
* refund: donation ``paid -> refunded`` + refund item (``attribute_not_exists``)
  + the same counter shard (``ADD`` negatives) + the donor marker (last paid
  donation of that donor: delete it and count the donor out; else ``ADD -1``).

Markers are keyed ``project_id#donor_key`` so that no partition sees every
donor of a project. The functions here report which conditions failed; the
logic (``chalicelib.logic.donations``) decides what that means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.clock import to_iso
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import CONDITION_FAILED, TRANSACTION_CONFLICT, cancellation_codes, transaction_conflict
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.refunds import RefundModel
from chalicelib.dal.totals import ProjectCounterModel
from chalicelib.dal.transactions import connection_for


class ProviderTransactionModel(GongyiModel):
    """One item per provider transaction id: the exactly-once key of a payment."""

    table_suffix = "payment-transactions"

    class Meta:
        table_name = "unbound"

    txn_key = UnicodeAttribute(hash_key=True)  # f"{provider}#{transaction_id}"
    provider = UnicodeAttribute()
    transaction_id = UnicodeAttribute()
    donation_id = UnicodeAttribute()
    amount_fen = NumberAttribute()
    received_at = UnicodeAttribute()

    @staticmethod
    def key(provider: str, transaction_id: str) -> str:
        return f"{provider}#{transaction_id}"


class DonorMarkerModel(GongyiModel):
    """A distinct donor of a project: exists while they have at least one paid donation."""

    table_suffix = "project-donors"

    class Meta:
        table_name = "unbound"

    marker_key = UnicodeAttribute(hash_key=True)  # f"{project_id}#{donor_key}"
    project_id = UnicodeAttribute()
    paid_count = NumberAttribute()
    first_donation_id = UnicodeAttribute()

    @staticmethod
    def key(project_id: str, donor_key: str) -> str:
        return f"{project_id}#{donor_key}"


@dataclass(frozen=True)
class PaymentClaim:
    """What a verified notification says, plus where the donation counts."""

    provider: str
    transaction_id: str
    donation_id: str
    project_id: str
    shard: int
    amount_fen: int
    donor_key: str | None
    paid_at: datetime


class Blocked(StrEnum):
    """Why a money transaction did not commit (one or more of these)."""

    DONATION = "donation"  # the donation's condition failed (state, amount, deadline...)
    TRANSACTION_ID = "transaction_id"  # provider transaction id already recorded
    MARKER = "marker"  # donor marker was not in the assumed state
    REFUND = "refund"  # a refund for this donation exists
    CONFLICT = "conflict"  # a concurrent transaction touched the same items: retry


class _Roles:
    """Which check each transaction item stands for, in the order PynamoDB sends them
    (condition checks, deletes, puts, updates): cancellation reasons come in that order."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[Blocked]] = {"delete": [], "put": [], "update": []}

    def add(self, kind: str, role: Blocked) -> None:
        self.by_kind[kind].append(role)

    def ordered(self) -> list[Blocked]:
        return self.by_kind["delete"] + self.by_kind["put"] + self.by_kind["update"]


def _blocked(exc: TransactWriteError, roles: list[Blocked]) -> set[Blocked]:
    found: set[Blocked] = set()
    for role, code in zip(roles, cancellation_codes(exc), strict=False):
        if code == CONDITION_FAILED:
            found.add(role)
        elif code == TRANSACTION_CONFLICT:
            found.add(Blocked.CONFLICT)
    if not found:
        if transaction_conflict(exc):
            return {Blocked.CONFLICT}
        raise exc
    return found


def _still_payable(claim: PaymentClaim, now: datetime) -> Condition:
    """The donation the claim pays: still pending, in time, and what the claim says it is."""
    donor_condition = (
        DonationModel.donor_key == claim.donor_key if claim.donor_key else DonationModel.donor_key.does_not_exist()
    )
    return (
        (DonationModel.status == "pending")
        & (DonationModel.amount_fen == claim.amount_fen)
        & (DonationModel.pay_by >= to_iso(now))
        & (DonationModel.project_id == claim.project_id)
        & (DonationModel.shard == claim.shard)
        & (DonationModel.channel == claim.provider)
        & donor_condition
    )


def _count_donor_in(tx: TransactWrite, roles: _Roles, claim: PaymentClaim, *, new_donor: bool) -> None:
    """A new donor gets a marker (put, once); a known donor's marker counts one more donation."""
    if not claim.donor_key:
        return
    marker_key = DonorMarkerModel.key(claim.project_id, claim.donor_key)
    if new_donor:
        roles.add("put", Blocked.MARKER)
        tx.save(
            DonorMarkerModel(
                marker_key=marker_key,
                project_id=claim.project_id,
                paid_count=1,
                first_donation_id=claim.donation_id,
            ),
            condition=DonorMarkerModel.marker_key.does_not_exist(),
        )
    else:
        roles.add("update", Blocked.MARKER)
        tx.update(
            DonorMarkerModel(marker_key=marker_key),
            actions=[DonorMarkerModel.paid_count.add(1)],
            condition=DonorMarkerModel.marker_key.exists(),
        )


def commit_payment(claim: PaymentClaim, *, new_donor: bool, now: datetime) -> set[Blocked]:
    """Try the confirm transaction; an empty set means it committed.

    ``new_donor``: assume the donor has no marker yet (put it, count a donor);
    otherwise assume one exists (add to it, count no donor). Ignored without a donor key.
    """
    counts_donor = new_donor or not claim.donor_key
    roles = _Roles()
    try:
        with TransactWrite(connection=connection_for(DonationModel)) as tx:
            roles.add("update", Blocked.DONATION)
            tx.update(
                DonationModel(donation_id=claim.donation_id),
                actions=[
                    DonationModel.status.set("paid"),
                    DonationModel.paid_at.set(to_iso(claim.paid_at)),
                    DonationModel.provider_txn_id.set(claim.transaction_id),
                    DonationModel.paid_month_shard.set(
                        DonationModel.paid_month_shard_key(claim.paid_at, claim.donation_id)
                    ),
                    DonationModel.expires_at.remove(),
                    DonationModel.pending_slot.remove(),
                ],
                condition=_still_payable(claim, now),
            )
            roles.add("put", Blocked.TRANSACTION_ID)
            tx.save(
                ProviderTransactionModel(
                    txn_key=ProviderTransactionModel.key(claim.provider, claim.transaction_id),
                    provider=claim.provider,
                    transaction_id=claim.transaction_id,
                    donation_id=claim.donation_id,
                    amount_fen=claim.amount_fen,
                    received_at=to_iso(now),
                ),
                condition=ProviderTransactionModel.txn_key.does_not_exist(),
            )
            roles.add("update", Blocked.DONATION)
            tx.update(
                ProjectCounterModel.for_shard(claim.project_id, claim.shard),
                actions=[
                    *ProjectCounterModel.label_actions(claim.project_id, claim.shard),
                    ProjectCounterModel.amount_fen.add(claim.amount_fen),
                    ProjectCounterModel.donation_count.add(1),
                    ProjectCounterModel.donor_count.add(1 if counts_donor else 0),
                ],
            )
            _count_donor_in(tx, roles, claim, new_donor=new_donor)
    except TransactWriteError as exc:
        return _blocked(exc, roles.ordered())
    return set()


def commit_refund(donation: DonationModel, refund: RefundModel, *, last_of_donor: bool, now: datetime) -> set[Blocked]:
    """Try the refund transaction; an empty set means it committed.

    ``last_of_donor``: assume this is the donor's only paid donation to the project
    (delete the marker, count the donor out); otherwise assume others remain.
    """
    roles = _Roles()
    counts_donor_out = last_of_donor or not donation.donor_key
    try:
        with TransactWrite(connection=connection_for(DonationModel)) as tx:
            # A plain status change on the donation item: the receipts stream voids on it.
            roles.add("update", Blocked.DONATION)
            tx.update(
                DonationModel(donation_id=donation.donation_id),
                actions=[
                    DonationModel.status.set("refunded"),
                    DonationModel.refunded_at.set(to_iso(now)),
                    DonationModel.refund_reason.set(refund.reason),
                    DonationModel.refunded_by.set(refund.requested_by),
                ],
                condition=(DonationModel.status == "paid") & (DonationModel.amount_fen == donation.amount_fen),
            )
            roles.add("put", Blocked.REFUND)
            tx.save(refund, condition=RefundModel.refund_key.does_not_exist())
            roles.add("update", Blocked.DONATION)
            tx.update(
                ProjectCounterModel.for_shard(donation.project_id, int(donation.shard)),
                actions=[
                    *ProjectCounterModel.label_actions(donation.project_id, int(donation.shard)),
                    ProjectCounterModel.amount_fen.add(-int(donation.amount_fen)),
                    ProjectCounterModel.donation_count.add(-1),
                    ProjectCounterModel.donor_count.add(-1 if counts_donor_out else 0),
                ],
            )
            if donation.donor_key:
                marker = DonorMarkerModel(marker_key=DonorMarkerModel.key(donation.project_id, donation.donor_key))
                if last_of_donor:
                    roles.add("delete", Blocked.MARKER)
                    tx.delete(marker, condition=DonorMarkerModel.paid_count == 1)
                else:
                    roles.add("update", Blocked.MARKER)
                    tx.update(
                        marker,
                        actions=[DonorMarkerModel.paid_count.add(-1)],
                        condition=DonorMarkerModel.paid_count > 1,
                    )
    except TransactWriteError as exc:
        return _blocked(exc, roles.ordered())
    return set()


def find_transaction(provider: str, transaction_id: str) -> ProviderTransactionModel | None:
    try:
        return ProviderTransactionModel.get(
            ProviderTransactionModel.key(provider, transaction_id), consistent_read=True
        )
    except ProviderTransactionModel.DoesNotExist:
        return None
