"""What the project routes answer: the public page of a project, its feedback, upload grants."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.orgs import CertificateView, certificate_view, project_card
from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.logic.deadlines import shanghai_day
from chalicelib.logic.feedback import FeedbackModel
from chalicelib.logic.orgs import OrgModel, certificate_valid
from chalicelib.logic.projects import ProjectModel, project_page
from chalicelib.logic.uploads import document_url

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
    image_urls: list[str] = Field(description="short-lived links to the images, in the order of image_keys")
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
    cover_image_url: str | None = Field(description="short-lived link to the cover image, if any")
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


def org_brief(org: OrgModel | None, settings: Settings) -> OrgBrief | None:
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


def feedback_view(entry: FeedbackModel, settings: Settings) -> FeedbackView:
    keys = [str(x) for x in entry.image_keys or []]
    return FeedbackView(
        feedback_id=entry.feedback_id,
        cursor=entry.posted_at_id,
        posted_at=entry.posted_at,
        org_id=entry.org_id,
        text=entry.text,
        image_keys=keys,
        image_urls=[url for url in (document_url(settings, key) for key in keys) if url],
        amount_used_fen=int(entry.amount_used_fen) if entry.amount_used_fen is not None else None,
        period=entry.period,
        is_final=bool(entry.is_final),
        on_time=bool(entry.on_time),
        due_at_when_posted=entry.due_at_when_posted,
    )


def project_view(project: ProjectModel, settings: Settings) -> ProjectView:
    page = project_page(project)
    return ProjectView(
        **project_card(project).model_dump(),
        summary=project.summary,
        description=project.description,
        beneficiary=project.beneficiary,
        cover_image_url=document_url(settings, project.cover_image_key),
        amount_raised_fen=page.totals.amount_fen,
        donation_count=page.totals.donation_count,
        donor_count=page.totals.donor_count,
        start_at=project.start_at,
        end_at=project.end_at,
        filing_number=project.filing_number,
        offline_reasons=[str(x) for x in project.offline_reasons or []],
        reject_reason=project.reject_reason,
        feedback_interval_days=int(project.feedback_interval_days),
        feedback_due_at=project.feedback_due_at,
        final_report_due_at=project.final_report_due_at,
        final_report_posted_at=project.final_report_posted_at,
        last_feedback_at=project.last_feedback_at,
        campaign_ids=[str(x) for x in project.campaign_ids or []],
        counter_shards=int(project.counter_shards),
        raising_org=org_brief(page.raising_org, settings),
        executing_org=org_brief(page.executing_org, settings),
        feedback=[feedback_view(e, settings) for e in page.feedback],
        disclaimer=DISCLAIMER,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )
