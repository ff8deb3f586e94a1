"""What the fund-flow routes answer: API models, converted explicitly from what logic returns."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.logic.fundflow import movements


class PayeeView(BaseModel):
    payee_id: str
    name: str
    kind: str
    credit_code: str | None
    bank_name: str
    bank_account_masked: str = Field(description="6222 **** 7890")
    account_holder: str


class PayeeList(BaseModel):
    items: list[PayeeView]


class DisbursementView(BaseModel):
    disbursement_id: str
    project_id: str
    from_org_id: str
    to_kind: Literal["org", "payee"]
    to_id: str
    to_name: str
    to_account_masked: str | None
    amount_fen: int
    purpose: str
    status: Literal["pending", "approved", "rejected", "confirmed"]
    voucher_keys: list[str]
    receipt_keys: list[str]
    maker_sub: str
    checker_sub: str | None
    reject_reason: str | None
    created_at: str
    decided_at: str | None
    confirmed_at: str | None


class DisbursementList(BaseModel):
    items: list[DisbursementView]


class UseView(BaseModel):
    use_id: str
    project_id: str
    org_id: str
    amount_fen: int
    category: str
    spent_on: dt.date
    voucher_keys: list[str]


class BalancesView(BaseModel):
    raised_fen: int
    refunded_fen: int
    received_fen: int
    disbursed_fen: int
    used_fen: int
    balance_fen: int


class PublicDocumentView(BaseModel):
    role: Literal["voucher", "receipt"] = Field(description="voucher: the sender's or spender's; receipt: receiver's")
    content_type: str
    size_bytes: int
    uploaded_at: str
    sha256: str = Field(description="hex SHA-256 of the file, recorded when it was attached")
    public: bool = Field(description="the charity published this file (e.g. a redacted copy)")
    url: str | None = Field(description="a link valid for 5 minutes, only for a published file")


class UseEntryView(BaseModel):
    use_id: str
    amount_fen: int
    category: str
    spent_on: str
    description: str | None
    vouchers: int
    feedback_id: str | None
    documents: list[PublicDocumentView]


class FlowEdgeView(BaseModel):
    disbursement_id: str
    to_kind: str
    to_id: str
    to_name: str
    to_account_masked: str | None
    amount_fen: int
    purpose: str
    status: str
    vouchers: int = Field(description="voucher documents the sender attached")
    receipts: int = Field(description="receipt documents (receiver's voucher or the bank slip)")
    approved_at: str | None
    confirmed_at: str | None
    documents: list[PublicDocumentView] = Field(description="the public part of each voucher and receipt")
    node: FlowNodeView | None = None


class FlowNodeView(BaseModel):
    org_id: str
    org_name: str
    balances: BalancesView
    in_transit_fen: int
    sent: list[FlowEdgeView]
    uses: list[UseEntryView]


class ProjectFlowView(BaseModel):
    project_id: str
    title: str
    category: str
    root: FlowNodeView


class OrgNodeView(BaseModel):
    project_id: str
    balances: BalancesView


class OrgFlowView(BaseModel):
    org_id: str
    projects: list[OrgNodeView]


FlowEdgeView.model_rebuild()


def payee_view(p: movements.PayeeModel) -> PayeeView:
    return PayeeView(
        payee_id=p.payee_id,
        name=p.name,
        kind=p.kind,
        credit_code=p.credit_code,
        bank_name=p.bank_name,
        bank_account_masked=movements.mask_account(p.bank_account),
        account_holder=p.account_holder,
    )


def disbursement_view(d: movements.DisbursementModel) -> DisbursementView:
    return DisbursementView.model_validate(
        {
            **d.attribute_values,
            "voucher_keys": list(d.voucher_keys or []),
            "receipt_keys": list(d.receipt_keys or []),
            "amount_fen": int(d.amount_fen),
            **{k: getattr(d, k) for k in ("checker_sub", "reject_reason", "decided_at", "confirmed_at")},
            "to_account_masked": d.to_account_masked,
        }
    )
