"""Moving money between nodes: payees, disbursements (approve, reject, confirm), uses of funds, node reads.

Every movement updates the node in the same transaction that records it, with
``balance_fen >= :amount`` as the condition: concurrent approvals never overdraw.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.conditions import condition_failed, item_condition_failed, transaction_conflict
from chalicelib.dal.fundflow.models import (
    DisbursementModel,
    FundNodeModel,
    FundUseModel,
    PayeeModel,
    VoucherAttribute,
)
from chalicelib.dal.transactions import connection_for
from chalicelib.errors import Conflict, NotFound


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


def node_key(project_id: str, org_id: str) -> FundNodeModel:
    return FundNodeModel(project_id, org_id)


def approve_disbursement(disbursement: DisbursementModel, *, checker_sub: str, at: str) -> None:
    """pending -> approved and the sender's balance debited, in one transaction.
    ``InsufficientBalance`` if the sender's node cannot cover it; ``Conflict`` if no longer pending."""
    amount = int(disbursement.amount_fen)
    sender = node_key(disbursement.project_id, disbursement.from_org_id)
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


def confirm_receipt(
    disbursement: DisbursementModel,
    *,
    receipt_keys: list[str],
    receipts: list[VoucherAttribute] | None = None,
    by: str,
    at: str,
) -> None:
    """approved -> confirmed; a receiving charity's node is credited in the same transaction.
    ``receipts`` (the described receipt files) are added to the disbursement's documents."""
    amount = int(disbursement.amount_fen)
    try:
        with TransactWrite(connection=connection_for(DisbursementModel)) as tx:
            tx.update(
                disbursement,
                actions=[
                    DisbursementModel.status.set("confirmed"),
                    DisbursementModel.receipt_keys.set(receipt_keys),  # type: ignore[arg-type]
                    DisbursementModel.documents.set([*(disbursement.documents or []), *(receipts or [])]),
                    DisbursementModel.confirmed_by.set(by),
                    DisbursementModel.confirmed_at.set(at),
                ],
                condition=DisbursementModel.status == "approved",
            )
            if disbursement.to_kind == "org":
                tx.update(
                    node_key(disbursement.project_id, disbursement.to_id),
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
                node_key(use.project_id, use.org_id),
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
