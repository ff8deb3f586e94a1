"""Emergency campaigns (专题): admins create them and attach online projects; anyone reads them."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api.orgs import ProjectCard, project_card
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic import campaigns as campaign_logic
from chalicelib.logic.campaigns import AttachProject, CampaignInput, CampaignModel, Totals

bp = Blueprint(__name__)
TAGS = ["campaigns"]


class TotalsView(BaseModel):
    amount_raised_fen: int
    donation_count: int
    donor_count: int
    online_fen: int = 0
    imported_fen: int = 0
    matched_fen: int = 0
    total_fen: int = 0


class CampaignProject(ProjectCard):
    totals: TotalsView


class CampaignView(BaseModel):
    campaign_id: str
    title: str
    description: str
    status: str
    cover_image_key: str | None
    created_at: str


class CampaignDetailView(CampaignView):
    totals: TotalsView
    projects: list[CampaignProject]


class CampaignList(BaseModel):
    items: list[CampaignView]


class Attachment(BaseModel):
    campaign_id: str
    project_id: str
    attached_now: bool


def totals_view(totals: Totals) -> TotalsView:
    return TotalsView(
        amount_raised_fen=totals.amount_fen,
        donation_count=totals.donation_count,
        donor_count=totals.donor_count,
        online_fen=totals.online_fen,
        imported_fen=totals.imported_fen,
        matched_fen=totals.matched_fen,
        total_fen=totals.total_fen,
    )


def campaign_view(campaign: CampaignModel) -> CampaignView:
    return CampaignView(
        campaign_id=campaign.campaign_id,
        title=campaign.title,
        description=campaign.description,
        status=campaign.status,
        cover_image_key=campaign.cover_image_key,
        created_at=campaign.created_at,
    )


@api_route(
    bp,
    "/campaigns",
    "POST",
    body=CampaignInput,
    response=CampaignView,
    status=201,
    roles=[Role.PLATFORM_ADMIN],
    summary="Create an emergency campaign",
    tags=TAGS,
)
def create_campaign(ctx: RequestContext) -> CampaignView:
    return campaign_view(campaign_logic.create_campaign(ctx.body, ctx.require_principal()))


@api_route(bp, "/campaigns", "GET", response=CampaignList, summary="Active campaigns, newest first", tags=TAGS)
def list_campaigns(ctx: RequestContext) -> CampaignList:
    return CampaignList(items=[campaign_view(c) for c in campaign_logic.active_campaigns()])


@api_route(
    bp,
    "/campaigns/{campaign_id}",
    "GET",
    response=CampaignDetailView,
    summary="A campaign with its projects and totals",
    tags=TAGS,
)
def get_campaign(ctx: RequestContext, campaign_id: str) -> CampaignDetailView:
    detail = campaign_logic.campaign_detail(campaign_id)
    projects = [CampaignProject(**project_card(p).model_dump(), totals=totals_view(t)) for p, t in detail.projects]
    return CampaignDetailView(
        **campaign_view(detail.campaign).model_dump(), totals=totals_view(detail.totals), projects=projects
    )


@api_route(
    bp,
    "/campaigns/{campaign_id}/projects",
    "POST",
    body=AttachProject,
    response=Attachment,
    status=201,
    extra_responses={200: "already attached: attached_now is false"},
    roles=[Role.PLATFORM_ADMIN],
    summary="Attach an online project to a campaign",
    tags=TAGS,
)
def attach_project(ctx: RequestContext, campaign_id: str) -> tuple[int, Attachment]:
    attached = campaign_logic.attach_project(campaign_id, ctx.body.project_id, ctx.require_principal())
    return (201 if attached else 200), Attachment(
        campaign_id=campaign_id, project_id=ctx.body.project_id, attached_now=attached
    )
