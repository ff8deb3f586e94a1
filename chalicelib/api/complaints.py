"""Complaints (举报): anyone files one; platform admins see the queue and answer."""

from __future__ import annotations

from typing import Literal

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.routing import RequestContext, api_route
from chalicelib.auth import Role
from chalicelib.logic import complaints as complaint_logic
from chalicelib.logic.complaints import ComplaintAnswer, ComplaintInput, ComplaintModel, mask_contact

bp = Blueprint(__name__)
TAGS = ["complaints"]


class ComplaintReceipt(BaseModel):
    """What the reporter gets back: the contact is masked."""

    complaint_id: str
    project_id: str
    status: str
    created_at: str
    due_at: str = Field(description="the platform answers by then (5 working days)")
    contact: str | None


class ComplaintView(BaseModel):
    """The admin's view: the full contact, so the platform can answer the reporter."""

    complaint_id: str
    project_id: str
    org_id: str
    reason: str
    contact: str | None
    status: str
    created_at: str
    due_at: str
    overdue: bool
    responded_at: str | None
    response: str | None
    answered_on_time: bool | None


class ComplaintList(BaseModel):
    items: list[ComplaintView]


class ComplaintQuery(BaseModel):
    status: Literal["open", "answered"] = "open"
    overdue: bool = Field(default=False, description="only open complaints past their due date")
    limit: int = Field(default=100, ge=1, le=500)


def complaint_view(complaint: ComplaintModel) -> ComplaintView:
    return ComplaintView(
        complaint_id=complaint.complaint_id,
        project_id=complaint.project_id,
        org_id=complaint.org_id,
        reason=complaint.reason,
        contact=complaint.contact,
        status=complaint.status,
        created_at=complaint.created_at,
        due_at=complaint.due_at,
        overdue=complaint_logic.is_overdue(complaint),
        responded_at=complaint.responded_at,
        response=complaint.response,
        answered_on_time=complaint.answered_on_time,
    )


@api_route(
    bp,
    "/projects/{project_id}/complaints",
    "POST",
    body=ComplaintInput,
    response=ComplaintReceipt,
    status=201,
    summary="Report a project (anyone, signed in or not)",
    tags=TAGS,
)
def file_complaint(ctx: RequestContext, project_id: str) -> ComplaintReceipt:
    complaint = complaint_logic.file_complaint(project_id, ctx.body, ctx.principal)
    return ComplaintReceipt(
        complaint_id=complaint.complaint_id,
        project_id=complaint.project_id,
        status=complaint.status,
        created_at=complaint.created_at,
        due_at=complaint.due_at,
        contact=mask_contact(complaint.contact),
    )


@api_route(
    bp,
    "/complaints",
    "GET",
    query=ComplaintQuery,
    response=ComplaintList,
    roles=[Role.PLATFORM_ADMIN],
    summary="The complaint queue by status, earliest due first; ?overdue=true for late ones",
    tags=TAGS,
)
def complaint_queue(ctx: RequestContext) -> ComplaintList:
    items = complaint_logic.complaint_queue(ctx.query.status, overdue_only=ctx.query.overdue, limit=ctx.query.limit)
    return ComplaintList(items=[complaint_view(c) for c in items])


@api_route(
    bp,
    "/complaints/{complaint_id}",
    "GET",
    response=ComplaintView,
    roles=[Role.PLATFORM_ADMIN],
    summary="One complaint",
    tags=TAGS,
)
def get_complaint(ctx: RequestContext, complaint_id: str) -> ComplaintView:
    return complaint_view(complaint_logic.get_complaint(complaint_id))


@api_route(
    bp,
    "/complaints/{complaint_id}/response",
    "POST",
    body=ComplaintAnswer,
    response=ComplaintView,
    roles=[Role.PLATFORM_ADMIN],
    summary="Answer a complaint",
    tags=TAGS,
)
def answer_complaint(ctx: RequestContext, complaint_id: str) -> ComplaintView:
    return complaint_view(complaint_logic.answer_complaint(complaint_id, ctx.body, ctx.require_principal()))
