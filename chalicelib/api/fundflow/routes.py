"""Fund-flow routes: payees, disbursements (maker-checker, receipts), use of funds, public trees."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from chalice import Blueprint

from chalicelib.api.fundflow.views import (
    DisbursementList,
    DisbursementView,
    OrgFlowView,
    OrgNodeView,
    PayeeList,
    PayeeView,
    ProjectFlowView,
    UseView,
    disbursement_view,
    payee_view,
)
from chalicelib.api.projects.views import Upload, UploadRequest
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic.fundflow import movements, tree
from chalicelib.logic.fundflow.inputs import DecisionInput, DisbursementInput, PayeeInput, ReceiptInput, UseInput

bp = Blueprint(__name__)
TAGS = ["fund flow"]


@api_route(
    bp,
    "/payees",
    "POST",
    body=PayeeInput,
    response=PayeeView,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="Register a payee paid outside the platform (hospital, village fund, supplier)",
    tags=TAGS,
)
def register_payee(ctx: RequestContext) -> PayeeView:
    return payee_view(movements.register_payee(ctx.body, ctx.require_principal()))


@api_route(bp, "/payees", "GET", response=PayeeList, roles=[Role.ORG_ADMIN], summary="Your charity's payees", tags=TAGS)
def list_payees(ctx: RequestContext) -> PayeeList:
    return PayeeList(items=[payee_view(p) for p in movements.payees(ctx.require_principal())])


@api_route(
    bp,
    "/projects/{project_id}/fund-vouchers",
    "POST",
    body=UploadRequest,
    response=Upload,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="A presigned URL to upload a voucher, receipt or bank slip",
    tags=TAGS,
)
def voucher_upload(ctx: RequestContext, project_id: str) -> Upload:
    grant = movements.voucher_upload(ctx.settings, project_id, ctx.body.content_type, ctx.require_principal())
    return Upload(
        upload_url=grant.upload_url, key=grant.key, content_type=grant.content_type, expires_in=grant.expires_in
    )


@api_route(
    bp,
    "/projects/{project_id}/disbursements",
    "POST",
    body=DisbursementInput,
    response=DisbursementView,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="Propose a disbursement (拨付); a second staff member approves",
    tags=TAGS,
    extra_responses={422: "medical_pays_hospitals_only, payee_not_yours, bad_voucher, voucher_not_uploaded"},
)
def create_disbursement(ctx: RequestContext, project_id: str) -> DisbursementView:
    return disbursement_view(
        movements.create_disbursement(
            ctx.settings, project_id, ctx.body, ctx.require_principal(), idempotency_key=ctx.header("Idempotency-Key")
        )
    )


@api_route(
    bp,
    "/disbursements/{disbursement_id}/decision",
    "POST",
    body=DecisionInput,
    response=DisbursementView,
    roles=[Role.ORG_ADMIN],
    summary="Approve or reject a disbursement (not its maker)",
    tags=TAGS,
    extra_responses={409: "insufficient_balance or not_pending"},
)
def decide(ctx: RequestContext, disbursement_id: str) -> DisbursementView:
    return disbursement_view(movements.decide_disbursement(disbursement_id, ctx.body, ctx.require_principal()))


@api_route(
    bp,
    "/disbursements/{disbursement_id}/receipt",
    "POST",
    body=ReceiptInput,
    response=DisbursementView,
    roles=[Role.ORG_ADMIN],
    summary="Confirm receipt (receiving charity; for a payee the sender's bank slip)",
    tags=TAGS,
    extra_responses={409: "not_approved", 422: "bad_voucher, voucher_not_uploaded, voucher_too_large"},
)
def confirm_receipt(ctx: RequestContext, disbursement_id: str) -> DisbursementView:
    return disbursement_view(
        movements.confirm_receipt(ctx.settings, disbursement_id, ctx.body, ctx.require_principal())
    )


@api_route(
    bp,
    "/projects/{project_id}/fund-uses",
    "POST",
    body=UseInput,
    response=UseView,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="Record a use of funds (支出)",
    tags=TAGS,
    extra_responses={409: "insufficient_balance", 422: "feedback_not_in_project, bad_voucher, voucher_not_uploaded"},
)
def record_use(ctx: RequestContext, project_id: str) -> UseView:
    use = movements.record_use(
        ctx.settings, project_id, ctx.body, ctx.require_principal(), idempotency_key=ctx.header("Idempotency-Key")
    )
    return UseView(
        use_id=use.use_id,
        project_id=use.project_id,
        org_id=use.org_id,
        amount_fen=int(use.amount_fen),
        category=use.category,
        spent_on=dt.date.fromisoformat(use.spent_on),
        voucher_keys=[str(k) for k in use.voucher_keys or []],
    )


@api_route(
    bp,
    "/projects/{project_id}/fund-flow",
    "GET",
    response=ProjectFlowView,
    summary="Public: where the project's money went, level by level, with balances",
    tags=TAGS,
)
def project_flow(ctx: RequestContext, project_id: str) -> ProjectFlowView:
    return ProjectFlowView.model_validate(asdict(tree.project_flow(ctx.settings, project_id, ctx.principal)))


@api_route(
    bp,
    "/orgs/{org_id}/fund-flow",
    "GET",
    response=OrgFlowView,
    summary="Public: a charity's balances per project",
    tags=TAGS,
)
def org_flow(ctx: RequestContext, org_id: str) -> OrgFlowView:
    nodes = tree.org_flow(org_id)
    return OrgFlowView(org_id=org_id, projects=[OrgNodeView.model_validate(asdict(n)) for n in nodes])


@api_route(
    bp,
    "/projects/{project_id}/disbursements",
    "GET",
    response=DisbursementList,
    roles=[Role.ORG_ADMIN],
    summary="The project's disbursements your charity sent or received (pending ones too: the checker's queue)",
    tags=TAGS,
)
def list_disbursements(ctx: RequestContext, project_id: str) -> DisbursementList:
    found = movements.disbursements_for_staff(project_id, ctx.require_principal())
    return DisbursementList(items=[disbursement_view(d) for d in found])
