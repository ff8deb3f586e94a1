"""The fund-flow tables: payees, disbursements, uses of funds, nodes (project × charity) and credit guards."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel


class VoucherAttribute(MapAttribute):  # type: ignore[type-arg]
    """What was recorded of one attached file when it was attached (the file itself stays private)."""

    key = UnicodeAttribute()
    role = UnicodeAttribute()  # voucher (the sender's / spender's) | receipt (receiver's voucher or bank slip)
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    uploaded_at = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    public = BooleanAttribute(default=False)  # the charity published it (a redacted copy, an invoice)


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
    documents = ListAttribute(of=VoucherAttribute, default=list)  # vouchers and receipts, described
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
    documents = ListAttribute(of=VoucherAttribute, default=list)  # its vouchers, described
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
