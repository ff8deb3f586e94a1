"""Monthly self-check report (月度自检报告): on the 1st, for the previous Shanghai month.

Stored in the reports bucket as JSON, CSV and HTML under
``self-check/<YYYY-MM>/``; ``GET /compliance/reports/<YYYY-MM>`` returns the JSON
with download links. Idempotent per month: the job run is claimed per month,
and the files' keys depend only on the month.

Month figures come from the month's partitions (audit, feedback, complaints
``by_month``; donations ``by_paid_month`` shards). Charities and projects by
status are a snapshot taken when the report is built: the report is about the
whole population, so this is the one job whose reads grow with the platform
(projects are counted with Select=COUNT queries, one per status).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from chalicelib.dal.audit import audit_of_month
from chalicelib.dal.compliance import put_report_files
from chalicelib.dal.compliance.month_records import complaints_of_month, feedback_of_month, paid_donations_of_month
from chalicelib.dal.matching import matched_amounts
from chalicelib.dal.orgs import approved_orgs
from chalicelib.dal.projects import count_projects_by_status
from chalicelib.logic.compliance.calendar import month_bounds
from chalicelib.logic.compliance.report_figures import (
    IMPORT_CHANNEL,
    CertificateFacts,
    CharityFacts,
    ComplaintFacts,
    DonationFacts,
    FeedbackFacts,
    StatusChangeFacts,
    compose_report,
)
from chalicelib.logic.compliance.report_formats import to_csv, to_html, to_json
from chalicelib.logic.compliance.runner import JobContext

PROJECT_STATUSES = ("draft", "pending_review", "online", "offline", "rejected", "ended", "closed")


def charity_facts(org: Any) -> CharityFacts:
    certs = []
    for kind in ("registration", "fundraising"):
        cert = getattr(org, kind, None)
        if cert is not None:
            certs.append(CertificateFacts(kind, cert.valid_from, cert.valid_to, cert.document_key))
    return CharityFacts(org_id=org.org_id, name=org.name, certificates=tuple(certs))


def gather(month: str, ctx: JobContext) -> dict[str, Any]:
    """Read the month's records through the DAL, as plain facts."""
    meter = ctx.meter
    return {
        "charities": [charity_facts(o) for o in approved_orgs(meter)],
        "projects_by_status": count_projects_by_status(PROJECT_STATUSES, meter),
        "feedback": [
            FeedbackFacts(e.project_id, getattr(e, "org_id", None), e.posted_at, bool(e.on_time))
            for e in feedback_of_month(month, meter)
        ],
        "status_changes": [
            StatusChangeFacts(a.subject_id, a.at_id.split("#", 1)[0], a.from_status, a.to_status, a.reason, a.actor)
            for a in audit_of_month(month, meter)
            if a.subject_type == "project"
        ],
        "complaints": [
            ComplaintFacts(
                complaint_id=c.complaint_id,
                project_id=getattr(c, "project_id", None),
                created_at=c.created_at,
                due_at=getattr(c, "due_at", None),
                responded_at=getattr(c, "responded_at", None),
                answered_on_time=getattr(c, "answered_on_time", None),
            )
            for c in complaints_of_month(month, meter)
        ],
        # A generator, consumed once by ``donation_totals``: the month's gifts stream through
        # page by page (memory holds one Query page and the per-project sums, never the gifts).
        "donations": donation_facts(paid_donations_of_month(month, meter)),
    }


def donation_facts(donations: Iterable[Any], chunk: int = 100) -> Iterator[DonationFacts]:
    """Each gift with the 配捐 matched to it (one BatchGetItem on the matches per 100 online
    gifts; imported gifts are never matched), still one page of gifts in memory at a time."""
    page: list[Any] = []
    for donation in donations:
        page.append(donation)
        if len(page) == chunk:
            yield from _with_matches(page)
            page = []
    yield from _with_matches(page)


def _with_matches(page: list[Any]) -> Iterator[DonationFacts]:
    matched = matched_amounts([d.donation_id for d in page if d.channel != IMPORT_CHANNEL])
    for d in page:
        yield DonationFacts(d.project_id, d.channel, int(d.amount_fen), matched.get(d.donation_id, 0))


def build_monthly_report(ctx: JobContext) -> dict[str, Any]:
    month = ctx.period
    _, month_end = month_bounds(month)
    facts = gather(month, ctx)
    report = compose_report(
        month=month,
        generated_at=ctx.as_of_iso,
        last_day=(month_end - timedelta(days=1)).date(),
        **facts,
    )
    keys = put_report_files(
        ctx.settings, month, {"json": to_json(report), "csv": to_csv(report), "html": to_html(report)}
    )
    return {"month": month, "keys": keys, "due": 1}
