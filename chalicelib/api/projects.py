"""Projects: drafting, the review lifecycle, uploads, progress feedback, the public page.

``GET /projects`` (list and search) is served by the search blueprint.
"""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.orgs import CertificateView, certificate_view
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Principal, Role
from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.dal import feedback as feedback_store
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.aws import presigned_put
from chalicelib.dal.feedback import FeedbackModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.dal.totals import read_totals
from chalicelib.errors import Forbidden, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic import feedback as feedback_logic
from chalicelib.logic import projects as project_logic
from chalicelib.logic.access import is_project_charity
from chalicelib.logic.deadlines import shanghai_day
from chalicelib.logic.feedback import FeedbackInput
from chalicelib.logic.orgs import DOCUMENT_TYPES, certificate_valid
from chalicelib.logic.projects import ProjectDraft, ProjectEdit
from chalicelib.logic.visibility import require_visible

bp = Blueprint(__name__)
TAGS = ["projects"]
FEEDBACK_ON_PAGE = 20
DISCLAIMER = (
    "本平台为互联网公开募捐信息平台，仅提供募捐信息发布服务。项目信息由发起募捐的慈善组织发布并对其真实性负责，"
    "善款由慈善组织接收、管理和使用。如发现项目信息不实，请通过“举报”反馈，平台将在5个工作日内答复。"
)


class OrgBrief(BaseModel):
    org_id: str
    name: str
    credit_code: str
    registration: CertificateView
    fundraising: CertificateView | None
    has_fundraising_qualification: bool
    contact_name: str
    contact_phone: str


class FeedbackView(BaseModel):
    feedback_id: str
    cursor: str = Field(description="pass as ?before= to read older entries")
    posted_at: str
    org_id: str = Field(description="the charity that posted it")
    text: str
    image_keys: list[str]
    amount_used_fen: int | None
    period: str | None
    is_final: bool
    on_time: bool
    due_at_when_posted: str | None


class FeedbackPage(BaseModel):
    items: list[FeedbackView]
    next_before: str | None = Field(description="cursor of the next (older) page, if any")


class ProjectView(BaseModel):
    project_id: str
    title: str
    summary: str
    description: str
    category: str
    province: str
    city: str
    beneficiary: str
    target_fen: int
    amount_raised_fen: int
    donation_count: int
    donor_count: int
    start_date: str
    end_date: str
    start_at: str
    end_at: str
    filing_number: str
    status: str
    offline_reasons: list[str]
    reject_reason: str | None
    feedback_interval_days: int
    feedback_due_at: str | None
    final_report_due_at: str | None
    final_report_posted_at: str | None
    last_feedback_at: str | None
    cover_image_key: str | None
    campaign_ids: list[str]
    counter_shards: int
    raising_org: OrgBrief | None
    executing_org: OrgBrief | None
    feedback: list[FeedbackView]
    disclaimer: str
    created_at: str
    updated_at: str


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=1000)


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(default="image/jpeg", max_length=100)


class Upload(BaseModel):
    upload_url: str
    key: str
    content_type: str
    expires_in: int


class FeedbackQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    before: str | None = Field(default=None, max_length=80)


def org_brief(org_id: str | None, settings: Settings) -> OrgBrief | None:
    org = org_store.find_org(org_id) if org_id else None
    if org is None:
        return None
    registration = certificate_view(org.registration, settings)
    assert registration is not None
    return OrgBrief(
        org_id=org.org_id,
        name=org.name,
        credit_code=org.credit_code,
        registration=registration,
        fundraising=certificate_view(org.fundraising, settings),
        has_fundraising_qualification=certificate_valid(org.fundraising, shanghai_day(utcnow())),
        contact_name=org.contact_name,
        contact_phone=org.contact_phone,
    )


def feedback_view(entry: FeedbackModel) -> FeedbackView:
    return FeedbackView(
        feedback_id=entry.feedback_id,
        cursor=entry.posted_at_id,
        posted_at=entry.posted_at,
        org_id=entry.org_id,
        text=entry.text,
        image_keys=[str(x) for x in entry.image_keys or []],
        amount_used_fen=int(entry.amount_used_fen) if entry.amount_used_fen is not None else None,
        period=entry.period,
        is_final=bool(entry.is_final),
        on_time=bool(entry.on_time),
        due_at_when_posted=entry.due_at_when_posted,
    )


def project_view(project: ProjectModel, settings: Settings) -> ProjectView:
    totals = read_totals(project.project_id, int(project.counter_shards or 1))
    recent = feedback_store.feedback_of(project.project_id, limit=FEEDBACK_ON_PAGE)
    return ProjectView(
        project_id=project.project_id,
        title=project.title,
        summary=project.summary,
        description=project.description,
        category=project.category,
        province=project.province,
        city=project.city,
        beneficiary=project.beneficiary,
        target_fen=int(project.target_fen),
        amount_raised_fen=totals.amount_fen,
        donation_count=totals.donation_count,
        donor_count=totals.donor_count,
        start_date=project.start_date,
        end_date=project.end_date,
        start_at=project.start_at,
        end_at=project.end_at,
        filing_number=project.filing_number,
        status=project.status,
        offline_reasons=[str(x) for x in project.offline_reasons or []],
        reject_reason=project.reject_reason,
        feedback_interval_days=int(project.feedback_interval_days),
        feedback_due_at=project.feedback_due_at,
        final_report_due_at=project.final_report_due_at,
        final_report_posted_at=project.final_report_posted_at,
        last_feedback_at=project.last_feedback_at,
        cover_image_key=project.cover_image_key,
        campaign_ids=[str(x) for x in project.campaign_ids or []],
        counter_shards=int(project.counter_shards),
        raising_org=org_brief(project.org_id, settings),
        executing_org=org_brief(project.executor_org_id, settings),
        feedback=[feedback_view(e) for e in recent],
        disclaimer=DISCLAIMER,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def _principal(ctx: RequestContext) -> Principal:
    return ctx.require_principal()


@api_route(
    bp,
    "/projects",
    "POST",
    body=ProjectDraft,
    response=ProjectView,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="Draft a project raised by the caller's (approved) charity",
    tags=TAGS,
)
def create_project(ctx: RequestContext) -> ProjectView:
    project = project_logic.create_project(ctx.body, _principal(ctx), ctx.settings)
    return project_view(project, ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}",
    "GET",
    response=ProjectView,
    summary="A project's public page: charities, certificates, totals, feedback, disclaimer",
    tags=TAGS,
)
def get_project(ctx: RequestContext, project_id: str) -> ProjectView:
    project = require_visible(project_store.get_project(project_id), ctx.principal)
    return project_view(project, ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}",
    "PATCH",
    body=ProjectEdit,
    response=ProjectView,
    roles=[Role.ORG_ADMIN, Role.PLATFORM_ADMIN],
    summary="Edit a project",
    tags=TAGS,
)
def edit_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.edit_project(project_id, ctx.body, ctx.principal), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/submit",
    "POST",
    response=ProjectView,
    roles=[Role.ORG_ADMIN],
    summary="Submit a draft (or a rejected project) for review",
    tags=TAGS,
)
def submit_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.submit_project(project_id, _principal(ctx)), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/approve",
    "POST",
    response=ProjectView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Approve a project in review: it goes online",
    tags=TAGS,
)
def approve_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.approve_project(project_id, _principal(ctx)), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/reject",
    "POST",
    body=ReasonBody,
    response=ProjectView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Reject a project in review, with a reason",
    tags=TAGS,
)
def reject_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.reject_project(project_id, ctx.body.reason, _principal(ctx)), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/suspend",
    "POST",
    response=ProjectView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Take a project offline (offline reason: suspended)",
    tags=TAGS,
)
def suspend_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.suspend_project(project_id, _principal(ctx)), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/resume",
    "POST",
    response=ProjectView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Lift a suspension; online again if no other offline reason remains",
    tags=TAGS,
)
def resume_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.resume_project(project_id, _principal(ctx)), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/close",
    "POST",
    response=ProjectView,
    roles=[Role.ORG_ADMIN, Role.PLATFORM_ADMIN],
    summary="Close an ended project",
    tags=TAGS,
)
def close_project(ctx: RequestContext, project_id: str) -> ProjectView:
    return project_view(project_logic.close_project(project_id, _principal(ctx)), ctx.settings)


@api_route(
    bp,
    "/projects/{project_id}/uploads",
    "POST",
    body=UploadRequest,
    response=Upload,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="A presigned URL to upload a project image",
    tags=TAGS,
)
def project_upload(ctx: RequestContext, project_id: str) -> Upload:
    project = project_store.get_project(project_id)
    if not is_project_charity(ctx.principal, project):
        raise Forbidden("only the raising or the executing charity uploads images for this project")
    extension = DOCUMENT_TYPES.get(ctx.body.content_type)
    if extension is None:
        raise ValidationFailed(
            f"content_type must be one of {', '.join(DOCUMENT_TYPES)}", code="unsupported_content_type"
        )
    key = f"projects/{project_id}/images/{new_id()}{extension}"
    url = presigned_put(ctx.settings, ctx.settings.documents_bucket, key, content_type=ctx.body.content_type)
    return Upload(upload_url=url, key=key, content_type=ctx.body.content_type, expires_in=900)


@api_route(
    bp,
    "/projects/{project_id}/feedback",
    "POST",
    body=FeedbackInput,
    response=FeedbackView,
    status=201,
    roles=[Role.ORG_ADMIN],
    summary="Post progress feedback (raising or executing charity)",
    tags=TAGS,
)
def post_feedback(ctx: RequestContext, project_id: str) -> FeedbackView:
    return feedback_view(feedback_logic.post_feedback(project_id, ctx.body, _principal(ctx)))


@api_route(
    bp,
    "/projects/{project_id}/feedback",
    "GET",
    query=FeedbackQuery,
    response=FeedbackPage,
    summary="The project's feedback history, newest first",
    tags=TAGS,
)
def feedback_history(ctx: RequestContext, project_id: str) -> FeedbackPage:
    entries = feedback_logic.feedback_history(project_id, ctx.principal, limit=ctx.query.limit, before=ctx.query.before)
    next_before = entries[-1].posted_at_id if len(entries) == ctx.query.limit else None
    return FeedbackPage(items=[feedback_view(e) for e in entries], next_before=next_before)
