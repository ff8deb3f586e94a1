"""Receipt routes: fetch (donor/admin), self-service look-up and claims, public verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Literal
from urllib.parse import urlencode

from chalice import Blueprint
from pydantic import BaseModel, Field, model_validator

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic.ledger.events import donation_event_id
from chalicelib.logic.receipts import selfservice

bp = Blueprint(__name__)
TAGS = ["receipts"]


class DocumentLinkView(BaseModel):
    kind: Literal["thank_you_letter", "donation_certificate", "donation_receipt"]
    title: str = Field(description="感谢信 | 捐赠证书 | 捐赠票据")
    number: str
    url: str = Field(description="presigned download link (private S3 object)")
    expires_in: int = Field(description="seconds the link stays valid (at most 900)")
    size: int = Field(description="bytes")


class ReceiptSetView(BaseModel):
    status: Literal["pending", "issued", "void", "claimable", "none"]
    number: str | None = None
    documents: list[DocumentLinkView] = Field(default_factory=list)
    check_code: str | None = Field(default=None, description="the check code printed on the documents (issued)")
    verify_url: str | None = Field(default=None, description="public verification page of the 三证 (issued)")


class DonationReceiptsView(BaseModel):
    donation_id: str
    project_id: str
    project_title: str
    amount_fen: int
    donated_on: dt.date
    donor_name: str = Field(description="masked (张*) or 爱心人士")
    donor_phone: str | None = Field(description="masked (138****5678)")
    channel: str
    status: str
    receipts: ReceiptSetView


class LookupRequest(BaseModel):
    """Mobile + donor name, or donation id + mobile."""

    mobile: str = Field(min_length=11, max_length=20)
    donor_name: str | None = Field(default=None, min_length=1, max_length=50)
    donation_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_way(self) -> LookupRequest:
        if bool(self.donor_name) == bool(self.donation_id):
            raise ValueError("give either donor_name or donation_id with the mobile number")
        return self


class LookupResponse(BaseModel):
    donations: list[DonationReceiptsView]


class ClaimRequest(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    mobile: str = Field(min_length=11, max_length=20)
    amount_fen: int = Field(gt=0, description="the amount given, in fen")
    date: dt.date = Field(description="the day of the donation (Asia/Shanghai)")
    project_id: str = Field(min_length=1, max_length=64)


class ClaimResponse(BaseModel):
    status: Literal["pending"]
    donation_id: str
    number: str = Field(description="the receipt number assigned to the claimed donation")


class VerifyQuery(BaseModel):
    code: str | None = Field(default=None, max_length=32, description="check code printed on the document")


class VerificationView(BaseModel):
    number: str
    status: Literal["valid", "void"]
    charity_name: str
    project_title: str
    amount_fen: int
    amount_figures: str
    amount_capitals: str
    donated_on: dt.date
    issued_on: dt.date
    donor_name: str
    ledger_event_id: str = Field(description="the donation's entry in the public ledger")
    ledger_proof_url: str = Field(description="its inclusion proof (size = the latest head's tree_size)")


def _client(ctx: RequestContext) -> str:
    identity = (ctx.request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


@api_route(
    bp,
    "/donations/{id}/receipts",
    "GET",
    summary="The 三证 of a donation: numbers and short-lived download links (202 while pending)",
    tags=TAGS,
    response=ReceiptSetView,
    roles=[Role.DONOR, Role.PLATFORM_ADMIN],
    extra_responses={202: "not issued yet: {status: pending}", 409: "receipt_void, claim_required or no_receipts"},
)
def donation_receipts(ctx: RequestContext, id: str) -> tuple[int, ReceiptSetView]:  # noqa: A002 - the path's name
    result = selfservice.receipts_for_donor(ctx.settings, ctx.require_principal(), id)
    view = ReceiptSetView.model_validate(asdict(result))
    return (202 if result.status == "pending" else 200), view


@api_route(
    bp,
    "/receipts/lookup",
    "POST",
    summary="Self-service look-up (捐赠查询): a donor's donations, masked, with receipt links",
    tags=TAGS,
    body=LookupRequest,
    response=LookupResponse,
    auth="none",
    extra_responses={429: "too many look-ups for this phone or client (Retry-After)"},
)
def lookup(ctx: RequestContext) -> LookupResponse:
    body: LookupRequest = ctx.body
    found = selfservice.lookup(
        ctx.settings, mobile=body.mobile, donor_name=body.donor_name, donation_id=body.donation_id, client=_client(ctx)
    )
    return LookupResponse(donations=[DonationReceiptsView.model_validate(asdict(d)) for d in found])


@api_route(
    bp,
    "/receipts/claims",
    "POST",
    summary="Claim the 三证 of a donation made through another channel (票证申领)",
    tags=TAGS,
    body=ClaimRequest,
    response=ClaimResponse,
    status=202,
    auth="optional",
    extra_responses={
        404: "no_match",
        409: "ambiguous_match or already_claimed",
        429: "too many attempts (Retry-After)",
    },
)
def claim(ctx: RequestContext) -> ClaimResponse:
    body: ClaimRequest = ctx.body
    result = selfservice.claim(
        ctx.settings,
        name=body.name,
        mobile=body.mobile,
        amount_fen=body.amount_fen,
        donated_on=body.date,
        project_id=body.project_id,
        client=_client(ctx),
        claimant_sub=ctx.principal.sub if ctx.principal is not None else None,
    )
    return ClaimResponse(status="pending", donation_id=result.donation_id, number=result.number)


@api_route(
    bp,
    "/receipts/verify/{number}",
    "GET",
    summary="Public authenticity check of a receipt number with its check code",
    tags=TAGS,
    query=VerifyQuery,
    response=VerificationView,
    auth="none",
    extra_responses={404: "unknown number or wrong check code"},
)
def verify(ctx: RequestContext, number: str) -> VerificationView:
    query: VerifyQuery = ctx.query
    found = asdict(selfservice.verify(number, query.code))
    event_id = donation_event_id(found.pop("donation_id"), "paid")
    proof = f"/ledger/proofs/inclusion?{urlencode({'entry': event_id})}&size={{tree_size}}"
    return VerificationView.model_validate({**found, "ledger_event_id": event_id, "ledger_proof_url": proof})
