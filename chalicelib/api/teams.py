"""一起捐 teams and 爱心企业 enterprise routes."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic import enterprises, teams

bp = Blueprint(__name__)
TAGS = ["teams"]


class TeamIn(BaseModel):
    title: str = Field(min_length=2, max_length=60)
    story: str = Field(min_length=1, max_length=2000)
    target_fen: int = Field(ge=100, le=10**11, strict=True)
    cover_key: str | None = Field(default=None, max_length=300, description="an uploaded image's key")
    enterprise_id: str | None = Field(default=None, max_length=40, description="an enterprise the creator belongs to")


class MemberRow(BaseModel):
    donor: str = Field(description="masked name, or 爱心人士")
    amount_fen: int
    donation_count: int


class TeamSummary(BaseModel):
    team_id: str
    project_id: str
    enterprise_id: str | None
    title: str
    target_fen: int
    amount_fen: int
    donation_count: int
    created_at: str


class TeamView(TeamSummary):
    story: str
    cover_key: str | None
    donor_count: int
    leaderboard: list[MemberRow]


class TeamList(BaseModel):
    items: list[TeamSummary]


class EnterpriseIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    credit_code: str = Field(min_length=18, max_length=18)
    contact_name: str = Field(min_length=1, max_length=50)
    contact_phone: str = Field(min_length=5, max_length=20)


class EnterpriseSummary(BaseModel):
    enterprise_id: str
    name: str
    credit_code: str
    status: str
    contact_phone: str | None = Field(description="masked")


class EnterprisePage(EnterpriseSummary):
    teams: list[TeamSummary]
    members: list[MemberRow]
    member_donor_count: int
    member_amount_fen: int = Field(description="members' confirmed gifts, less refunds")
    member_donation_count: int
    pools: list[dict[str, Any]]


class Invitation(BaseModel):
    enterprise_id: str
    invite_code: str


class JoinIn(BaseModel):
    invite_code: str = Field(min_length=4, max_length=40)


class Membership(BaseModel):
    enterprise_id: str
    member: bool


def _summary(enterprise: Any) -> EnterpriseSummary:
    from chalicelib.privacy import mask_phone

    return EnterpriseSummary(
        enterprise_id=enterprise.enterprise_id,
        name=enterprise.name,
        credit_code=enterprise.credit_code,
        status=enterprise.status,
        contact_phone=mask_phone(enterprise.contact_phone),
    )


@api_route(
    bp,
    "/projects/{project_id}/teams",
    "POST",
    body=TeamIn,
    response=TeamView,
    status=201,
    auth="required",
    summary="Start a 一起捐 team for an online project (any signed-in donor; Idempotency-Key accepted)",
    tags=TAGS,
    extra_responses={
        400: "Idempotency-Key longer than 128 characters (idempotency_key_invalid)",
        422: "invalid, or Idempotency-Key reused with another body",
    },
)
def create_team(ctx: RequestContext, project_id: str) -> TeamView:
    team = teams.create_team(
        ctx.require_principal(), project_id, ctx.body.model_dump(), idempotency_key=ctx.header("Idempotency-Key")
    )
    return TeamView.model_validate(teams.team_view(team.team_id))


@api_route(
    bp,
    "/projects/{project_id}/teams",
    "GET",
    response=TeamList,
    auth="none",
    summary="A project's top teams",
    tags=TAGS,
)
def project_teams(ctx: RequestContext, project_id: str) -> TeamList:
    return TeamList(items=[TeamSummary.model_validate(t) for t in teams.project_top_teams(project_id)])


@api_route(
    bp,
    "/teams/{team_id}",
    "GET",
    response=TeamView,
    auth="none",
    summary="A team: total, donors, leaderboard",
    tags=TAGS,
)
def get_team(ctx: RequestContext, team_id: str) -> TeamView:
    return TeamView.model_validate(teams.team_view(team_id))


@api_route(
    bp,
    "/enterprises",
    "POST",
    body=EnterpriseIn,
    response=EnterpriseSummary,
    status=201,
    auth="required",
    summary="Apply as a 爱心企业 (the applicant administers it; Idempotency-Key accepted)",
    tags=TAGS,
    extra_responses={
        400: "Idempotency-Key longer than 128 characters (idempotency_key_invalid)",
        422: "invalid, or Idempotency-Key reused with another body",
    },
)
def apply_enterprise(ctx: RequestContext) -> EnterpriseSummary:
    return _summary(
        enterprises.apply(ctx.require_principal(), ctx.body.model_dump(), idempotency_key=ctx.header("Idempotency-Key"))
    )


@api_route(
    bp,
    "/enterprises/{enterprise_id}/approve",
    "POST",
    response=EnterpriseSummary,
    roles=[Role.PLATFORM_ADMIN],
    summary="Approve an enterprise (platform admin)",
    tags=TAGS,
)
def approve_enterprise(ctx: RequestContext, enterprise_id: str) -> EnterpriseSummary:
    return _summary(enterprises.approve(enterprise_id))


@api_route(
    bp,
    "/enterprises/{enterprise_id}/invitation",
    "GET",
    response=Invitation,
    auth="required",
    summary="The invitation code employees join with (the enterprise's admin)",
    tags=TAGS,
)
def invitation(ctx: RequestContext, enterprise_id: str) -> Invitation:
    return Invitation(
        enterprise_id=enterprise_id, invite_code=enterprises.invitation(ctx.require_principal(), enterprise_id)
    )


@api_route(
    bp,
    "/enterprises/{enterprise_id}/members",
    "POST",
    body=JoinIn,
    response=Membership,
    auth="required",
    summary="Join an enterprise with its invitation code",
    tags=TAGS,
)
def join(ctx: RequestContext, enterprise_id: str) -> Membership:
    enterprises.join(ctx.require_principal(), enterprise_id, ctx.body.invite_code)
    return Membership(enterprise_id=enterprise_id, member=True)


@api_route(
    bp,
    "/enterprises/{enterprise_id}",
    "GET",
    response=EnterprisePage,
    auth="optional",
    summary="An enterprise's page: teams, members' giving (masked), its pools",
    tags=TAGS,
)
def enterprise_page(ctx: RequestContext, enterprise_id: str) -> EnterprisePage:
    return EnterprisePage.model_validate(enterprises.page(enterprise_id, ctx.principal))
