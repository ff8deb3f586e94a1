"""Project routes: drafting, the public page and the review lifecycle.

``GET /projects`` (list and search) is served by the search blueprint.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.projects.views import ProjectView, ReasonBody, project_view
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Principal, Role
from chalicelib.logic import projects as project_logic
from chalicelib.logic.projects import ProjectDraft, ProjectEdit

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
