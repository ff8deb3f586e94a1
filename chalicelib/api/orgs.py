"""Charities: apply, edit, upload certificate scans, review; the public page (两证公开)."""

from __future__ import annotations

from typing import Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Principal, Role
from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.logic import orgs as org_logic
from chalicelib.logic.deadlines import shanghai_day
from chalicelib.logic.orgs import Certificate, OrgApplication, OrgEdit, OrgModel
from chalicelib.logic.projects import ProjectModel
from chalicelib.logic.uploads import document_url

bp = Blueprint(__name__)
TAGS = ["orgs"]


class CertificateView(BaseModel):
    number: str
    issuer: str | None
    valid_from: str
    valid_to: str
    valid_today: bool
    document_url: str | None = Field(default=None, description="short-lived link to the scan")


class ProjectCard(BaseModel):
    project_id: str
    title: str
    category: str
    province: str
    city: str
    status: str
    target_fen: int
    start_date: str
    end_date: str
    cover_image_key: str | None


class OrgView(BaseModel):
    org_id: str
    name: str
    credit_code: str
    status: str
    reject_reason: str | None = None
    registration: CertificateView
    fundraising: CertificateView | None
    has_fundraising_qualification: bool = Field(description="a public-fundraising qualification valid today")
    contact_name: str
    contact_phone: str
    cert_expires_on: str | None
    created_at: str
    updated_at: str
    projects: list[ProjectCard] = Field(default_factory=list)


class OrgList(BaseModel):
    items: list[OrgView]


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=1000)


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["registration", "fundraising", "other"] = "other"
    content_type: str = Field(default="application/pdf", max_length=100)


class DocumentUpload(BaseModel):
    upload_url: str = Field(description="PUT the file here with the same Content-Type, within expires_in seconds")
    key: str = Field(description="reference it as a certificate's document_key in PATCH /orgs/{id}")
    content_type: str
    expires_in: int


class OrgStatusQuery(BaseModel):
    status: Literal["pending_review", "approved", "rejected"] = "pending_review"


def certificate_view(cert: Certificate | None, settings: Settings) -> CertificateView | None:
    if cert is None:
        return None
    today = shanghai_day(utcnow())
    return CertificateView(
        number=cert.number,
        issuer=cert.issuer,
        valid_from=cert.valid_from,
        valid_to=cert.valid_to,
        valid_today=org_logic.certificate_valid(cert, today),
        document_url=document_url(settings, cert.document_key),
    )


def project_card(project: ProjectModel) -> ProjectCard:
    return ProjectCard(
        project_id=project.project_id,
        title=project.title,
        category=project.category,
        province=project.province,
        city=project.city,
        status=project.status,
        target_fen=int(project.target_fen),
        start_date=project.start_date,
        end_date=project.end_date,
        cover_image_key=project.cover_image_key,
    )


def org_view(org: OrgModel, settings: Settings, principal: Principal | None, *, with_projects: bool) -> OrgView:
    registration = certificate_view(org.registration, settings)
    assert registration is not None
    projects = []
    if with_projects:
        projects = [project_card(p) for p in org_logic.visible_projects_of(org.org_id, principal)]
    return OrgView(
        org_id=org.org_id,
        name=org.name,
        credit_code=org.credit_code,
        status=org.status,
        reject_reason=org.reject_reason,
        registration=registration,
        fundraising=certificate_view(org.fundraising, settings),
        has_fundraising_qualification=org_logic.certificate_valid(org.fundraising, shanghai_day(utcnow())),
        contact_name=org.contact_name,
        contact_phone=org.contact_phone,
        cert_expires_on=org.cert_expires_on,
        created_at=org.created_at,
        updated_at=org.updated_at,
        projects=projects,
    )


@api_route(
    bp,
    "/orgs",
    "POST",
    body=OrgApplication,
    response=OrgView,
    status=201,
    auth="required",
    summary="Apply for a charity (any signed-in user); it waits for review",
    tags=TAGS,
)
def apply_for_org(ctx: RequestContext) -> OrgView:
    principal = ctx.require_principal()
    org = org_logic.apply_for_org(ctx.body, principal)
    return org_view(org, ctx.settings, principal, with_projects=False)


@api_route(
    bp,
    "/orgs",
    "GET",
    query=OrgStatusQuery,
    response=OrgList,
    roles=[Role.PLATFORM_ADMIN],
    summary="Charities by status (the review queue), earliest certificate expiry first",
    tags=TAGS,
)
def list_orgs(ctx: RequestContext) -> OrgList:
    orgs = org_logic.orgs_by_status(ctx.query.status)
    return OrgList(items=[org_view(o, ctx.settings, ctx.principal, with_projects=False) for o in orgs])


@api_route(
    bp,
    "/orgs/{org_id}",
    "GET",
    response=OrgView,
    summary="A charity's public page: name, credit code, both certificates, contact, projects",
    tags=TAGS,
)
def get_org(ctx: RequestContext, org_id: str) -> OrgView:
    org = org_logic.visible_org(org_id, ctx.principal)
    return org_view(org, ctx.settings, ctx.principal, with_projects=True)


@api_route(
    bp,
    "/orgs/{org_id}",
    "PATCH",
    body=OrgEdit,
    response=OrgView,
    auth="required",
    summary="Edit a charity; editing its name or certificates sends it back to review",
    tags=TAGS,
)
def edit_org(ctx: RequestContext, org_id: str) -> OrgView:
    org = org_logic.edit_org(org_id, ctx.body, ctx.principal)
    return org_view(org, ctx.settings, ctx.principal, with_projects=False)


@api_route(
    bp,
    "/orgs/{org_id}/approve",
    "POST",
    response=OrgView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Approve a charity in review",
    tags=TAGS,
)
def approve_org(ctx: RequestContext, org_id: str) -> OrgView:
    org = org_logic.approve_org(org_id, ctx.require_principal())
    return org_view(org, ctx.settings, ctx.principal, with_projects=False)


@api_route(
    bp,
    "/orgs/{org_id}/reject",
    "POST",
    body=RejectBody,
    response=OrgView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Reject a charity in review, with a reason",
    tags=TAGS,
)
def reject_org(ctx: RequestContext, org_id: str) -> OrgView:
    org = org_logic.reject_org(org_id, ctx.body.reason, ctx.require_principal())
    return org_view(org, ctx.settings, ctx.principal, with_projects=False)


@api_route(
    bp,
    "/orgs/{org_id}/documents",
    "POST",
    body=DocumentRequest,
    response=DocumentUpload,
    status=201,
    auth="required",
    summary="A presigned URL to upload a certificate scan",
    tags=TAGS,
)
def document_upload(ctx: RequestContext, org_id: str) -> DocumentUpload:
    grant = org_logic.document_upload(
        org_id, kind=ctx.body.kind, content_type=ctx.body.content_type, principal=ctx.principal, settings=ctx.settings
    )
    return DocumentUpload(
        upload_url=grant.upload_url, key=grant.key, content_type=grant.content_type, expires_in=grant.expires_in
    )
