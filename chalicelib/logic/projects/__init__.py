"""Projects: drafting, review and the lifecycle.

    draft -> pending_review -> online -> ended -> closed
                   |              ^ |
                   v              | v
                rejected        offline   (while offline_reasons is non-empty)

A project is ``offline`` iff ``offline_reasons`` is non-empty: ``suspended``
(an admin), ``feedback_overdue`` / ``certificate_expired`` (compliance jobs).
When the last reason goes, it is ``online`` again, or ``ended`` past its end.
Every status change is audited.
"""

from __future__ import annotations

from chalicelib.dal.projects import ProjectModel as ProjectModel  # re-exported: the API types against logic
from chalicelib.logic.projects.drafting import create_project, edit_project, project_image_upload
from chalicelib.logic.projects.inputs import CATEGORIES, ProjectDraft, ProjectEdit
from chalicelib.logic.projects.lifecycle import (
    approve_project,
    close_project,
    mutate_project,
    reject_project,
    restore_after_certificate_renewal,
    resume_project,
    submit_project,
    suspend_project,
)
from chalicelib.logic.projects.page import ProjectPage, project_page, visible_project
from chalicelib.logic.projects.queue import QUEUE_STATUSES, QueueEntry, review_queue
from chalicelib.logic.projects.rules import (
    CERTIFICATE_EXPIRED,
    FEEDBACK_OVERDUE,
    SAVE_ATTEMPTS,
    SUSPENDED,
    remove_offline_reason,
    require_fundraising_qualification,
    status_without_reasons,
)

__all__ = [
    "CATEGORIES",
    "CERTIFICATE_EXPIRED",
    "FEEDBACK_OVERDUE",
    "SAVE_ATTEMPTS",
    "SUSPENDED",
    "ProjectDraft",
    "ProjectEdit",
    "ProjectModel",
    "QUEUE_STATUSES",
    "ProjectPage",
    "QueueEntry",
    "approve_project",
    "close_project",
    "create_project",
    "edit_project",
    "mutate_project",
    "project_image_upload",
    "project_page",
    "reject_project",
    "remove_offline_reason",
    "require_fundraising_qualification",
    "restore_after_certificate_renewal",
    "review_queue",
    "resume_project",
    "status_without_reasons",
    "submit_project",
    "suspend_project",
    "visible_project",
]
