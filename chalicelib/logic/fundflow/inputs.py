"""What charities send to move money (API models, converted to stored entities by the use cases)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

PayeeKind = Literal["hospital", "village_fund", "supplier", "other"]
MAX_AMOUNT_FEN = 100_000_000_000  # ¥10亿
MAX_VOUCHERS = 20
PUBLIC_KEYS_HELP = (
    "those of voucher_keys the charity publishes (a redacted copy, an invoice): linked in the public tree"
)


class WithVouchers(BaseModel):
    """Attached files (keys from ``POST /projects/{id}/fund-vouchers``) and which of them are public."""

    model_config = ConfigDict(extra="forbid")

    voucher_keys: list[str] = Field(default_factory=list, max_length=MAX_VOUCHERS)
    public_voucher_keys: list[str] = Field(default_factory=list, max_length=MAX_VOUCHERS, description=PUBLIC_KEYS_HELP)

    @model_validator(mode="after")
    def _public_ones_are_attached(self) -> WithVouchers:
        if not set(self.public_voucher_keys) <= set(self.voucher_keys):
            raise ValueError("public_voucher_keys must be among voucher_keys")
        return self


class PayeeInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: PayeeKind
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    bank_name: str = Field(min_length=1, max_length=100)
    bank_account: str = Field(pattern=r"^\d{8,30}$")
    account_holder: str = Field(min_length=1, max_length=100)


class DisbursementInput(WithVouchers):
    amount_fen: StrictInt = Field(gt=0, le=MAX_AMOUNT_FEN)
    to_org_id: str | None = Field(default=None, min_length=1, max_length=64)
    to_payee_id: str | None = Field(default=None, min_length=1, max_length=64)
    purpose: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_recipient(self) -> DisbursementInput:
        if bool(self.to_org_id) == bool(self.to_payee_id):
            raise ValueError("give exactly one of to_org_id and to_payee_id")
        return self


class DecisionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> DecisionInput:
        if self.decision == "reject" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class ReceiptInput(WithVouchers):
    voucher_keys: list[str] = Field(min_length=1, max_length=MAX_VOUCHERS)


class UseInput(WithVouchers):
    amount_fen: StrictInt = Field(gt=0, le=MAX_AMOUNT_FEN)
    category: str = Field(min_length=1, max_length=50, description="e.g. 物资采购, 医疗费用, 人员补贴")
    spent_on: dt.date
    description: str | None = Field(default=None, max_length=1000)
    feedback_id: str | None = Field(default=None, max_length=64)
