"""Moving money: register payees, disburse (maker-checker), confirm receipt, record use of funds.

Staff identity is the token's ``sub``: the checker must be another staff
member (org_admin) of the sending charity. Balances are enforced by dal in the
write that moves the money (``InsufficientBalance``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import fundflow as store
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.feedback import find_feedback
from chalicelib.dal.fundflow import DisbursementModel as DisbursementModel
from chalicelib.dal.fundflow import FundUseModel
from chalicelib.dal.fundflow import PayeeModel as PayeeModel
from chalicelib.dal.outbox import notify_once
from chalicelib.errors import Conflict, Forbidden, IdempotencyKeyReused, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic.fundflow.inputs import DecisionInput, DisbursementInput, PayeeInput, ReceiptInput, UseInput
from chalicelib.logic.fundflow.vouchers import check_vouchers, describe_vouchers, staff_of
from chalicelib.logic.fundflow.vouchers import voucher_upload as voucher_upload

MEDICAL_CATEGORY = "医疗救助"
MOVES_MONEY = ("online", "offline", "ended")


def mask_account(account: str) -> str:
    """6222021234567890 -> 6222 **** 7890: enough for a donor to tell accounts apart, no more."""
    return f"{account[:4]} **** {account[-4:]}"


def register_payee(payee_input: PayeeInput, principal: Principal) -> PayeeModel:
    org_id = staff_of(principal)
    payee = PayeeModel(
        new_id(),
        org_id=org_id,
        created_by=principal.sub,
        created_at=to_iso(utcnow()),
        **payee_input.model_dump(),
    )
    store.save_payee(payee)
    return payee


def payees(principal: Principal) -> list[PayeeModel]:
    return store.payees_of(staff_of(principal))


def keyed_id(org_id: str, idempotency_key: str | None) -> str:
    """A fresh id, or with an ``Idempotency-Key`` one derived from it (per charity): a retried
    POST lands on the item the first one wrote."""
    if not idempotency_key or not idempotency_key.strip():
        return new_id()
    digest = hashlib.sha256(f"{org_id}|{idempotency_key.strip()}".encode()).hexdigest()
    return f"K{digest[:25].upper()}"


def _same_request(existing: Any, fresh: Any, fields: tuple[str, ...]) -> Any:
    if any(getattr(existing, f) != getattr(fresh, f) for f in fields):
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    return existing


def create_disbursement(
    settings: Settings,
    project_id: str,
    draft: DisbursementInput,
    principal: Principal,
    *,
    idempotency_key: str | None = None,
) -> DisbursementModel:
    """The maker's step: a pending disbursement from the maker's charity."""
    org_id = staff_of(principal)
    project = project_store.get_project(project_id)
    if project.status not in MOVES_MONEY:
        raise ValidationFailed(f"a project that is {project.status} moves no money", code="project_not_live")
    check_vouchers(draft.voucher_keys, project_id, org_id)
    if draft.to_payee_id:
        payee = store.get_payee(draft.to_payee_id)
        if payee.org_id != org_id:
            raise ValidationFailed("pay only payees your charity registered", code="payee_not_yours")
        if project.category == MEDICAL_CATEGORY and payee.kind != "hospital":
            raise ValidationFailed(
                "a medical-aid project pays hospitals only, never a patient or other payee",
                code="medical_pays_hospitals_only",
            )
        to_kind, to_id, to_name = "payee", payee.payee_id, payee.name
        masked = mask_account(payee.bank_account)
    else:
        to_org = org_store.get_org(str(draft.to_org_id))
        if to_org.org_id == org_id:
            raise ValidationFailed("a charity cannot disburse to itself", code="self_disbursement")
        if to_org.status != "approved":
            raise ValidationFailed("the receiving charity is not approved on the platform", code="org_not_approved")
        to_kind, to_id, to_name = "org", to_org.org_id, to_org.name
        masked = None
    disbursement = DisbursementModel(
        keyed_id(org_id, idempotency_key),
        project_id=project_id,
        from_org_id=org_id,
        to_kind=to_kind,
        to_id=to_id,
        to_name=to_name,
        to_account_masked=masked,
        amount_fen=draft.amount_fen,
        purpose=draft.purpose,
        voucher_keys=draft.voucher_keys,
        documents=describe_vouchers(
            settings,
            draft.voucher_keys,
            draft.public_voucher_keys,
            role="voucher",
            project_id=project_id,
            org_id=org_id,
        ),
        status="pending",
        maker_sub=principal.sub,
        created_at=to_iso(utcnow()),
    )
    if not store.save_new_disbursement(disbursement):
        existing = store.get_disbursement(disbursement.disbursement_id)
        return _same_request(existing, disbursement, ("project_id", "maker_sub", "to_id", "amount_fen", "purpose"))  # type: ignore[no-any-return]
    return disbursement


def decide_disbursement(disbursement_id: str, decision: DecisionInput, principal: Principal) -> DisbursementModel:
    """The checker's step: another staff member of the sending charity approves or rejects."""
    org_id = staff_of(principal)
    disbursement = store.get_disbursement(disbursement_id)
    if disbursement.from_org_id != org_id:
        raise Forbidden("only the sending charity's staff decide on its disbursements")
    if disbursement.maker_sub == principal.sub:
        raise Forbidden("the maker of a disbursement cannot approve or reject it", code="maker_cannot_check")
    at = to_iso(utcnow())
    if decision.decision == "reject":
        store.reject_disbursement(disbursement, checker_sub=principal.sub, reason=str(decision.reason), at=at)
        return store.get_disbursement(disbursement_id)
    store.approve_disbursement(disbursement, checker_sub=principal.sub, at=at)
    if disbursement.to_kind == "org":
        notify_once(
            recipient=f"org#{disbursement.to_id}",
            dedupe_key=f"disbursement-approved#{disbursement_id}",
            kind="disbursement_sent",
            message=f"拨付 {disbursement.amount_fen} 分 for project {disbursement.project_id}: confirm receipt",
            subject_id=disbursement_id,
        )
    return store.get_disbursement(disbursement_id)


def confirm_receipt(
    settings: Settings, disbursement_id: str, receipt: ReceiptInput, principal: Principal
) -> DisbursementModel:
    """A receiving charity confirms with its own voucher; for a payee, the sender uploads the bank slip."""
    org_id = staff_of(principal)
    disbursement = store.get_disbursement(disbursement_id)
    confirmer = disbursement.to_id if disbursement.to_kind == "org" else disbursement.from_org_id
    if org_id != confirmer:
        raise Forbidden(
            "the receiving charity confirms receipt (for a payee: the sender, with the bank slip)",
            code="not_confirmer",
        )
    receipts = describe_vouchers(
        settings,
        receipt.voucher_keys,
        receipt.public_voucher_keys,
        role="receipt",
        project_id=disbursement.project_id,
        org_id=org_id,
    )
    store.confirm_receipt(
        disbursement, receipt_keys=receipt.voucher_keys, receipts=receipts, by=principal.sub, at=to_iso(utcnow())
    )
    return store.get_disbursement(disbursement_id)


def record_use(
    settings: Settings,
    project_id: str,
    use_input: UseInput,
    principal: Principal,
    *,
    idempotency_key: str | None = None,
) -> FundUseModel:
    org_id = staff_of(principal)
    project_store.get_project(project_id)
    check_vouchers(use_input.voucher_keys, project_id, org_id)
    if use_input.feedback_id and find_feedback(project_id, use_input.feedback_id) is None:
        raise ValidationFailed("feedback_id must name a feedback post of this project", code="feedback_not_in_project")
    use = FundUseModel(
        keyed_id(org_id, idempotency_key),
        project_id=project_id,
        org_id=org_id,
        amount_fen=use_input.amount_fen,
        category=use_input.category,
        spent_on=use_input.spent_on.isoformat(),
        description=use_input.description,
        voucher_keys=use_input.voucher_keys,
        documents=describe_vouchers(
            settings,
            use_input.voucher_keys,
            use_input.public_voucher_keys,
            role="voucher",
            project_id=project_id,
            org_id=org_id,
        ),
        feedback_id=use_input.feedback_id,
        recorded_by=principal.sub,
        created_at=to_iso(utcnow()),
    )
    try:
        store.record_use(use)
    except Conflict as exc:
        if exc.code != "already_recorded":
            raise
        existing = store.get_use(use.use_id)
        return _same_request(existing, use, ("project_id", "recorded_by", "amount_fen", "category"))  # type: ignore[no-any-return]
    return use


def disbursements_for_staff(project_id: str, principal: Principal) -> list[DisbursementModel]:
    """The project's disbursements a charity's staff see: those it sent or received, pending ones included."""
    org_id = staff_of(principal)
    project_store.get_project(project_id)
    mine = [d for d in store.disbursements_of_project(project_id) if org_id in (d.from_org_id, d.to_id)]
    return sorted(mine, key=lambda d: d.created_at, reverse=True)
