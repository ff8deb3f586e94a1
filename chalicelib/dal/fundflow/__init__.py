"""Follow the money: payees, disbursements (拨付), use of funds (支出) and each node's balance.

A node is (project, charity). Its item holds raised + received - disbursed - used
as ``balance_fen``; every movement updates it in the same transaction that
records the movement, with ``balance_fen >= :amount`` as the condition, so
concurrent approvals can never overdraw. The raising node is credited from paid
donations by the donations-stream consumer, once per donation (a guard item per
donation id) and once per node per batch (never one write per gift: a viral
project's node would be a hot key).

The package: ``models`` (the tables), ``movements`` (payees, disbursements, uses,
node reads), ``credits`` (crediting raised money); everything is re-exported here.
"""

from __future__ import annotations

from chalicelib.dal.fundflow.credits import MAX_GUARDS_PER_TRANSACTION, DonationCredit, credit_donations
from chalicelib.dal.fundflow.models import (
    DisbursementModel,
    FundCreditModel,
    FundNodeModel,
    FundUseModel,
    PayeeModel,
    VoucherAttribute,
)
from chalicelib.dal.fundflow.movements import (
    InsufficientBalance,
    approve_disbursement,
    confirm_receipt,
    disbursements_of_project,
    find_node,
    get_disbursement,
    get_payee,
    get_use,
    nodes_of_org,
    nodes_of_project,
    payees_of,
    record_use,
    reject_disbursement,
    save_new_disbursement,
    save_payee,
    uses_of_project,
)

__all__ = [
    "MAX_GUARDS_PER_TRANSACTION",
    "DisbursementModel",
    "DonationCredit",
    "FundCreditModel",
    "FundNodeModel",
    "FundUseModel",
    "InsufficientBalance",
    "PayeeModel",
    "VoucherAttribute",
    "approve_disbursement",
    "confirm_receipt",
    "credit_donations",
    "disbursements_of_project",
    "find_node",
    "get_disbursement",
    "get_payee",
    "get_use",
    "nodes_of_org",
    "nodes_of_project",
    "payees_of",
    "record_use",
    "reject_disbursement",
    "save_new_disbursement",
    "save_payee",
    "uses_of_project",
]
