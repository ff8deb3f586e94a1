"""Project routes: drafting, the public page and the review lifecycle.

``GET /projects`` (list and search) is served by the search blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict

from chalicelib.api.orgs import ProjectCard, project_card
from chalicelib.api.projects.views import ProjectView, ReasonBody, project_view
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Principal, Role
from chalicelib.logic import projects as project_logic
from chalicelib.logic.projects import ProjectDraft, ProjectEdit, ProjectModel

bp = Blueprint(__name__)
TAGS = ["projects"]


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
    project = project_logic.visible_project(project_id, ctx.principal)
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


Transition = Callable[[str, Principal], ProjectModel]

# The lifecycle steps that take no body: POST /projects/{id}/<action> -> the project as it is now.
TRANSITIONS: list[tuple[str, Transition, list[Role], str]] = [
    ("submit", project_logic.submit_project, [Role.ORG_ADMIN], "Submit a draft (or a rejected project) for review"),
    ("approve", project_logic.approve_project, [Role.PLATFORM_ADMIN], "Approve a project in review: it goes online"),
    (
        "suspend",
        project_logic.suspend_project,
        [Role.PLATFORM_ADMIN],
        "Take a project offline (offline reason: suspended)",
    ),
    (
        "resume",
        project_logic.resume_project,
        [Role.PLATFORM_ADMIN],
        "Lift a suspension; online again if no other offline reason remains",
    ),
    ("close", project_logic.close_project, [Role.ORG_ADMIN, Role.PLATFORM_ADMIN], "Close an ended project"),
]


def _transition_route(action: str, transition: Transition, roles: list[Role], summary: str) -> None:
    def route(ctx: RequestContext, project_id: str) -> ProjectView:
        return project_view(transition(project_id, _principal(ctx)), ctx.settings)

    route.__name__ = route.__qualname__ = f"{action}_project"
    path = f"/projects/{{project_id}}/{action}"
    api_route(bp, path, "POST", response=ProjectView, roles=roles, summary=summary, tags=TAGS)(route)


for _action, _transition, _roles, _summary in TRANSITIONS:
    _transition_route(_action, _transition, _roles, _summary)


class ReviewQueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending_review", "rejected", "offline"] = "pending_review"


class ReviewItem(ProjectCard):
    org_id: str
    org_name: str
    summary: str
    filing_number: str
    reject_reason: str | None
    offline_reasons: list[str]
    updated_at: str


class ReviewQueue(BaseModel):
    items: list[ReviewItem]


@api_route(
    bp,
    "/admin/projects",
    "GET",
    query=ReviewQueueQuery,
    response=ReviewQueue,
    roles=[Role.PLATFORM_ADMIN],
    summary="The project review queue: projects of one status (pending_review by default), earliest end first",
    tags=TAGS,
)
def project_review_queue(ctx: RequestContext) -> ReviewQueue:
    items = [
        ReviewItem(
            **project_card(e.project).model_dump(),
            org_id=e.project.org_id,
            org_name=e.org_name,
            summary=e.project.summary,
            filing_number=e.project.filing_number,
            reject_reason=e.project.reject_reason,
            offline_reasons=[str(r) for r in e.project.offline_reasons or []],
            updated_at=e.project.updated_at,
        )
        for e in project_logic.review_queue(ctx.query.status)
    ]
    return ReviewQueue(items=items)
