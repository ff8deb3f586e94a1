"""Follow the money: payees, disbursements (拨付), use of funds (支出) and each node's balance.

A node is (project, charity). Its item holds raised + received - disbursed - used
as ``balance_fen``; every movement updates it in the same transaction that
records the movement, with ``balance_fen >= :amount`` as the condition, so
concurrent approvals can never overdraw. The raising node is credited from paid
donations by the donations-stream consumer, once per donation (a guard item per
donation id) and once per node per batch (never one write per gift: a viral
project's node would be a hot key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed, item_condition_failed, transaction_conflict
from chalicelib.dal.transactions import connection_for
from chalicelib.errors import Conflict, NotFound

MAX_GUARDS_PER_TRANSACTION = 99  # + one node update = DynamoDB's 100 items


class _ByOrg(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_org"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class PayeeModel(GongyiModel):
    """Someone a charity pays outside the platform: a hospital, a village fund, a supplier."""

    table_suffix = "payees"

    class Meta:
        table_name = "unbound"

    payee_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()  # the charity that registered (and pays) it
    name = UnicodeAttribute()
    kind = UnicodeAttribute()  # hospital | village_fund | supplier | other
    credit_code = UnicodeAttribute(null=True)
    bank_name = UnicodeAttribute()
    bank_account = UnicodeAttribute()  # private: masked on every public read
    account_holder = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    by_org = _ByOrg()


class _ByProject(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_project"
        projection = AllProjection()

    project_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DisbursementModel(GongyiModel):
    table_suffix = "disbursements"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_AND_OLD_IMAGES"  # the ledger sequencer reads approvals and receipts

    disbursement_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    from_org_id = UnicodeAttribute()
    to_kind = UnicodeAttribute()  # org | payee
    to_id = UnicodeAttribute()
    to_name = UnicodeAttribute()
    to_account_masked = UnicodeAttribute(null=True)  # a payee's bank account, masked (public)
    amount_fen = NumberAttribute()
    purpose = UnicodeAttribute()
    voucher_keys = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    status = UnicodeAttribute()  # pending | approved | rejected | confirmed
    maker_sub = UnicodeAttribute()
    checker_sub = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    receipt_keys = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    confirmed_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    confirmed_at = UnicodeAttribute(null=True)

    by_project = _ByProject()


class FundUseModel(GongyiModel):
    """Use of funds (支出) recorded by a node."""

    table_suffix = "fund-uses"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    use_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    amount_fen = NumberAttribute()
    category = UnicodeAttribute()
    spent_on = UnicodeAttribute()  # YYYY-MM-DD
    description = UnicodeAttribute(null=True)
    voucher_keys = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    feedback_id = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    by_project = _ByProject()


class _NodesByOrg(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_org"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute(range_key=True)


class FundNodeModel(GongyiModel):
    """One charity's money of one project. ``balance_fen`` = raised - refunded + received - disbursed - used."""

    table_suffix = "fund-nodes"

    class Meta:
        table_name = "unbound"

    project_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute(range_key=True)
    raised_fen = NumberAttribute(default=0)
    refunded_fen = NumberAttribute(default=0)
    received_fen = NumberAttribute(default=0)
    disbursed_fen = NumberAttribute(default=0)
    used_fen = NumberAttribute(default=0)
    balance_fen = NumberAttribute(default=0)

    by_org = _NodesByOrg()


class FundCreditModel(GongyiModel):
    """One item per donation event credited to a node (``paid#<id>``, ``refunded#<id>``): exactly once."""

    table_suffix = "fund-credits"

    class Meta:
        table_name = "unbound"

    credit_key = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    amount_fen = NumberAttribute()


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


# -- payees ----------------------------------------------------------------------------------


def save_payee(payee: PayeeModel) -> None:
    payee.save(condition=PayeeModel.payee_id.does_not_exist())


def get_payee(payee_id: str) -> PayeeModel:
    try:
        return PayeeModel.get(payee_id)
    except PayeeModel.DoesNotExist:
        raise NotFound(f"no payee {payee_id}", code="payee_not_found") from None


def payees_of(org_id: str, limit: int = 100) -> list[PayeeModel]:
    return list(PayeeModel.by_org.query(org_id, limit=limit))


# -- disbursements ---------------------------------------------------------------------------


def save_new_disbursement(disbursement: DisbursementModel) -> bool:
    """Store a new disbursement; False if one with its id exists (a retried POST)."""
    try:
        disbursement.save(condition=DisbursementModel.disbursement_id.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def get_disbursement(disbursement_id: str) -> DisbursementModel:
    try:
        return DisbursementModel.get(disbursement_id, consistent_read=True)
    except DisbursementModel.DoesNotExist:
        raise NotFound(f"no disbursement {disbursement_id}", code="disbursement_not_found") from None


def disbursements_of_project(project_id: str, limit: int = 500) -> list[DisbursementModel]:
    return list(DisbursementModel.by_project.query(project_id, limit=limit))


def _node_key(project_id: str, org_id: str) -> FundNodeModel:
    return FundNodeModel(project_id, org_id)


def approve_disbursement(disbursement: DisbursementModel, *, checker_sub: str, at: str) -> None:
    """pending -> approved and the sender's balance debited, in one transaction.
    ``InsufficientBalance`` if the sender's node cannot cover it; ``Conflict`` if no longer pending."""
    amount = int(disbursement.amount_fen)
    sender = _node_key(disbursement.project_id, disbursement.from_org_id)
    try:
        with TransactWrite(connection=connection_for(DisbursementModel)) as tx:
            tx.update(
                disbursement,
                actions=[
                    DisbursementModel.status.set("approved"),
                    DisbursementModel.checker_sub.set(checker_sub),
                    DisbursementModel.decided_at.set(at),
                ],
                condition=DisbursementModel.status == "pending",
            )
            tx.update(
                sender,
                actions=[FundNodeModel.balance_fen.add(-amount), FundNodeModel.disbursed_fen.add(amount)],
                condition=FundNodeModel.balance_fen >= amount,
            )
    except TransactWriteError as exc:
        if item_condition_failed(exc, 1):
            raise InsufficientBalance(
                "the sending charity's balance for this project does not cover this disbursement"
            ) from exc
        if item_condition_failed(exc, 0):
            raise Conflict("the disbursement is no longer pending", code="not_pending") from exc
        if transaction_conflict(exc):
            raise Conflict("another movement of this balance is in progress; retry", code="concurrent_update") from exc
        raise


def reject_disbursement(disbursement: DisbursementModel, *, checker_sub: str, reason: str, at: str) -> None:
    try:
        disbursement.update(
            actions=[
                DisbursementModel.status.set("rejected"),
                DisbursementModel.checker_sub.set(checker_sub),
                DisbursementModel.reject_reason.set(reason),
                DisbursementModel.decided_at.set(at),
            ],
            condition=DisbursementModel.status == "pending",
        )
    except Exception as exc:
        if condition_failed(exc):
            raise Conflict("the disbursement is no longer pending", code="not_pending") from exc
        raise


def confirm_receipt(disbursement: DisbursementModel, *, receipt_keys: list[str], by: str, at: str) -> None:
    """approved -> confirmed; a receiving charity's node is credited in the same transaction."""
    amount = int(disbursement.amount_fen)
    try:
        with TransactWrite(connection=connection_for(DisbursementModel)) as tx:
            tx.update(
                disbursement,
                actions=[
                    DisbursementModel.status.set("confirmed"),
                    DisbursementModel.receipt_keys.set(receipt_keys),  # type: ignore[arg-type]
                    DisbursementModel.confirmed_by.set(by),
                    DisbursementModel.confirmed_at.set(at),
                ],
                condition=DisbursementModel.status == "approved",
            )
            if disbursement.to_kind == "org":
                tx.update(
                    _node_key(disbursement.project_id, disbursement.to_id),
                    actions=[FundNodeModel.balance_fen.add(amount), FundNodeModel.received_fen.add(amount)],
                )
    except TransactWriteError as exc:
        if item_condition_failed(exc, 0):
            raise Conflict("only an approved, unconfirmed disbursement can be confirmed", code="not_approved") from exc
        if transaction_conflict(exc):
            raise Conflict("another movement of this balance is in progress; retry", code="concurrent_update") from exc
        raise


# -- use of funds ----------------------------------------------------------------------------


def record_use(use: FundUseModel) -> None:
    """Store a use of funds and debit its node, in one transaction (``InsufficientBalance`` if it cannot)."""
    amount = int(use.amount_fen)
    try:
        with TransactWrite(connection=connection_for(FundUseModel)) as tx:
            tx.save(use, condition=FundUseModel.use_id.does_not_exist())
            tx.update(
                _node_key(use.project_id, use.org_id),
                actions=[FundNodeModel.balance_fen.add(-amount), FundNodeModel.used_fen.add(amount)],
                condition=FundNodeModel.balance_fen >= amount,
            )
    except TransactWriteError as exc:
        if item_condition_failed(exc, 1):
            raise InsufficientBalance("this charity's balance for this project does not cover this use") from exc
        if item_condition_failed(exc, 0):
            raise Conflict("this use of funds is already recorded", code="already_recorded") from exc
        if transaction_conflict(exc):
            raise Conflict("another movement of this balance is in progress; retry", code="concurrent_update") from exc
        raise


def get_use(use_id: str) -> FundUseModel:
    try:
        return FundUseModel.get(use_id, consistent_read=True)
    except FundUseModel.DoesNotExist:
        raise NotFound(f"no use of funds {use_id}", code="use_not_found") from None


def uses_of_project(project_id: str, limit: int = 500) -> list[FundUseModel]:
    return list(FundUseModel.by_project.query(project_id, limit=limit))


# -- nodes -----------------------------------------------------------------------------------


def nodes_of_project(project_id: str) -> list[FundNodeModel]:
    return list(FundNodeModel.query(project_id))


def nodes_of_org(org_id: str, limit: int = 500) -> list[FundNodeModel]:
    return list(FundNodeModel.by_org.query(org_id, limit=limit))


def find_node(project_id: str, org_id: str) -> FundNodeModel | None:
    try:
        return FundNodeModel.get(project_id, org_id, consistent_read=True)
    except FundNodeModel.DoesNotExist:
        return None


@dataclass(frozen=True)
class DonationCredit:
    """A paid (+) or refunded (-) donation to credit to its raising node."""

    kind: str  # paid | refunded
    donation_id: str
    project_id: str
    org_id: str
    amount_fen: int

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.donation_id}"


def credit_donations(credits: Iterable[DonationCredit]) -> int:
    """Credit each donation event to its node exactly once; one node update per node per chunk
    of up to 99 guards. Returns how many were credited now (replays count 0)."""
    by_node: dict[tuple[str, str], list[DonationCredit]] = {}
    for credit in credits:
        by_node.setdefault((credit.project_id, credit.org_id), []).append(credit)
    applied = 0
    for (project_id, org_id), group in by_node.items():
        for start in range(0, len(group), MAX_GUARDS_PER_TRANSACTION):
            chunk = group[start : start + MAX_GUARDS_PER_TRANSACTION]
            try:
                _credit_chunk(project_id, org_id, chunk)
                applied += len(chunk)
            except TransactWriteError as exc:
                if not condition_failed(exc) or len(chunk) == 1:
                    if condition_failed(exc):
                        continue  # this one was credited before: a replay
                    raise
                # Some were credited before (a replayed batch): one at a time, skipping those.
                for credit in chunk:
                    try:
                        _credit_chunk(project_id, org_id, [credit])
                        applied += 1
                    except TransactWriteError as single:
                        if not condition_failed(single):
                            raise
    return applied


def _credit_chunk(project_id: str, org_id: str, chunk: list[DonationCredit]) -> None:
    paid = sum(c.amount_fen for c in chunk if c.kind == "paid")
    refunded = sum(c.amount_fen for c in chunk if c.kind == "refunded")
    with TransactWrite(connection=connection_for(FundNodeModel)) as tx:
        for credit in chunk:
            tx.save(
                FundCreditModel(credit.key, project_id=project_id, amount_fen=credit.amount_fen),
                condition=FundCreditModel.credit_key.does_not_exist(),
            )
        # A refund after the money moved on may take the balance below zero: it blocks
        # further disbursements until covered, and the tree shows the shortfall.
        tx.update(
            _node_key(project_id, org_id),
            actions=[
                FundNodeModel.raised_fen.add(paid),
                FundNodeModel.refunded_fen.add(refunded),
                FundNodeModel.balance_fen.add(paid - refunded),
            ],
        )
