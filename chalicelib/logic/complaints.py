"""Complaints (举报): anyone reports a project; platform admins answer within 5 working days.

The due date is the end of the 5th working day (Mon–Fri, Asia/Shanghai) after
filing; public holidays are not counted specially (see ``deadlines``).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.auth import Principal
from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.dal import complaints as complaint_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.complaints import ComplaintModel as ComplaintModel  # re-exported: the API types against logic
from chalicelib.dal.outbox import notify_once
from chalicelib.errors import InvalidTransition
from chalicelib.ids import new_id
from chalicelib.logic.deadlines import add_working_days, shanghai_month
from chalicelib.logic.visibility import require_visible
from chalicelib.privacy import mask_phone, normalize_phone

ANSWER_WITHIN_WORKING_DAYS = 5
EMAIL = re.compile(r"^([^@\s])[^@\s]*(@[^@\s]+)$")


class ComplaintInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=5, max_length=2000, description="what is wrong with the project")
    contact: str | None = Field(default=None, max_length=100, description="phone or email, for the platform's answer")


class ComplaintAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: str = Field(min_length=1, max_length=2000)


def mask_contact(contact: str | None) -> str | None:
    """138****5678 for a phone, z***@example.com for an email, **** otherwise."""
    if not contact:
        return None
    phone = normalize_phone(contact)
    if phone.isdigit():
        return mask_phone(phone)
    match = EMAIL.match(contact.strip())
    if match:
        return f"{match.group(1)}***{match.group(2)}"
    return "****"


def is_overdue(complaint: ComplaintModel, *, as_of: str | None = None) -> bool:
    now = parse_iso(as_of) if as_of else utcnow()
    return complaint.status == "open" and now > parse_iso(complaint.due_at)


def file_complaint(project_id: str, complaint_input: ComplaintInput, principal: Principal | None) -> ComplaintModel:
    project = require_visible(project_store.get_project(project_id), principal)
    now = utcnow()
    complaint = ComplaintModel(
        complaint_id=new_id(),
        project_id=project_id,
        org_id=project.org_id,
        reason=complaint_input.reason,
        contact=complaint_input.contact.strip() if complaint_input.contact else None,
        reporter_sub=principal.sub if principal else None,
        status="open",
        created_at=to_iso(now),
        due_at=to_iso(add_working_days(now, ANSWER_WITHIN_WORKING_DAYS)),
        month=shanghai_month(now),
    )
    complaint_store.save_new_complaint(complaint)
    notify_once(
        recipient="platform",
        dedupe_key=f"complaint#{complaint.complaint_id}",
        kind="complaint_filed",
        subject_id=project_id,
        message=f"新举报：项目《{project.title}》，请于 {complaint.due_at} 前答复",
    )
    return complaint


def get_complaint(complaint_id: str) -> ComplaintModel:
    return complaint_store.get_complaint(complaint_id)


def complaint_queue(status: str, *, overdue_only: bool = False, limit: int = 100) -> list[ComplaintModel]:
    """The admin queue, earliest due first; ``overdue_only`` keeps open ones past their due date."""
    if overdue_only:
        return complaint_store.complaints_by_status("open", due_before=to_iso(utcnow()), limit=limit)
    return complaint_store.complaints_by_status(status, limit=limit)


def answer_complaint(complaint_id: str, answer: ComplaintAnswer, principal: Principal) -> ComplaintModel:
    complaint = complaint_store.get_complaint(complaint_id)
    if complaint.status != "open":
        raise InvalidTransition("this complaint has already been answered", code="already_answered")
    now = utcnow()
    complaint.status = "answered"
    complaint.response = answer.response
    complaint.responded_at = to_iso(now)
    complaint.responded_by = principal.sub
    complaint.answered_on_time = now <= parse_iso(complaint.due_at)
    complaint_store.save_answer(complaint)
    return complaint
