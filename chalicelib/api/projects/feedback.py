"""Project routes of the charities' disclosure: image uploads and progress feedback."""

from __future__ import annotations

from chalicelib.api.projects.routes import TAGS, bp
from chalicelib.api.projects.views import (
    FeedbackPage,
    FeedbackQuery,
    FeedbackView,
    Upload,
    UploadRequest,
    feedback_view,
)
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic import feedback as feedback_logic
from chalicelib.logic import projects as project_logic
from chalicelib.logic.feedback import FeedbackInput


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
    grant = project_logic.project_image_upload(project_id, ctx.body.content_type, ctx.principal, ctx.settings)
    return Upload(
        upload_url=grant.upload_url, key=grant.key, content_type=grant.content_type, expires_in=grant.expires_in
    )


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
    return feedback_view(feedback_logic.post_feedback(project_id, ctx.body, ctx.require_principal()), ctx.settings)


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
    return FeedbackPage(items=[feedback_view(e, ctx.settings) for e in entries], next_before=next_before)
