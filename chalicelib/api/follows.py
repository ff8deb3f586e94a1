"""Donors follow projects and read what they were told: ``/me/follows`` and ``/me/notifications``."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.compliance import NotificationView, notification_view
from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic.fundflow import followers

bp = Blueprint(__name__)
TAGS = ["fund flow"]


class FollowView(BaseModel):
    project_id: str
    following: bool
    followed_at: str | None = Field(default=None, description="when the donor first followed (absent once unfollowed)")


class FollowList(BaseModel):
    items: list[FollowView]
    next_cursor: str | None = Field(default=None, description="pass as cursor= for the next page; absent on the last")


class DonorNotificationList(BaseModel):
    items: list[NotificationView]
    next_cursor: str | None = Field(default=None, description="pass as cursor= for the next page; absent on the last")


class PageQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=4096)


@api_route(
    bp,
    "/me/follows/{project_id}",
    "PUT",
    response=FollowView,
    roles=[Role.DONOR],
    summary="Follow a project: be notified when its money moves (idempotent)",
    tags=TAGS,
    extra_responses={404: "project_not_found"},
)
def follow(ctx: RequestContext, project_id: str) -> FollowView:
    item = followers.follow_project(project_id, ctx.require_principal())
    return FollowView(project_id=item.project_id, following=True, followed_at=item.followed_at)


@api_route(
    bp,
    "/me/follows/{project_id}",
    "DELETE",
    response=FollowView,
    roles=[Role.DONOR],
    summary="Stop following a project (idempotent)",
    tags=TAGS,
    extra_responses={404: "project_not_found"},
)
def unfollow(ctx: RequestContext, project_id: str) -> FollowView:
    followers.unfollow_project(project_id, ctx.require_principal())
    return FollowView(project_id=project_id, following=False)


@api_route(
    bp,
    "/me/follows",
    "GET",
    query=PageQuery,
    response=FollowList,
    roles=[Role.DONOR],
    summary="The projects the signed-in donor follows, newest first",
    tags=TAGS,
)
def my_follows(ctx: RequestContext) -> FollowList:
    items, cursor = followers.my_follows(ctx.require_principal(), limit=ctx.query.limit, cursor=ctx.query.cursor)
    views = [FollowView(project_id=f.project_id, following=True, followed_at=f.followed_at) for f in items]
    return FollowList(items=views, next_cursor=cursor)


@api_route(
    bp,
    "/me/notifications",
    "GET",
    query=PageQuery,
    response=DonorNotificationList,
    roles=[Role.DONOR],
    summary="What the signed-in donor was told (money moved in projects they follow), newest first",
    tags=TAGS,
)
def my_notifications(ctx: RequestContext) -> DonorNotificationList:
    items, cursor = followers.my_notifications(ctx.require_principal(), limit=ctx.query.limit, cursor=ctx.query.cursor)
    return DonorNotificationList(items=[notification_view(n) for n in items], next_cursor=cursor)
