"""The monthly self-check report's figures, computed from plain records (no storage here).

``compose_report`` is pure: the job reads the month's records through the DAL
and hands them over, so the figures can be checked against data built in a test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CertificateFacts:
    kind: str  # registration | fundraising
    valid_from: str | None
    valid_to: str | None
    document_key: str | None


@dataclass(frozen=True)
class CharityFacts:
    org_id: str
    name: str
    certificates: tuple[CertificateFacts, ...]


@dataclass(frozen=True)
class FeedbackFacts:
    project_id: str
    org_id: str | None
    posted_at: str
    on_time: bool


@dataclass(frozen=True)
class StatusChangeFacts:
    subject_id: str
    at: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    actor: str


@dataclass(frozen=True)
class ComplaintFacts:
    complaint_id: str
    project_id: str | None
    created_at: str
    due_at: str | None
    responded_at: str | None
    answered_on_time: bool | None


IMPORT_CHANNEL = "import"  # donations brought in by the import worker (offline channels)


@dataclass(frozen=True)
class DonationFacts:
    project_id: str
    channel: str
    amount_fen: int
    matched_fen: int = 0  # 配捐 matched to this gift (issue 16), on top of amount_fen


CERTIFICATE_KINDS = ("registration", "fundraising")


def certificate_check(cert: CertificateFacts | None, on: date) -> dict[str, Any]:
    """Public: the scan is on file (shown on the charity's public page). Valid: covers the day ``on``."""
    if cert is None:
        return {"present": False, "public": False, "valid": False, "valid_to": None}
    valid = bool(cert.valid_from and cert.valid_to and cert.valid_from <= on.isoformat() <= cert.valid_to)
    return {"present": True, "public": bool(cert.document_key), "valid": valid, "valid_to": cert.valid_to}


def charity_rows(charities: Iterable[CharityFacts], on: date) -> list[dict[str, Any]]:
    rows = []
    for charity in sorted(charities, key=lambda c: c.org_id):
        by_kind = {c.kind: c for c in charity.certificates}
        checks = {kind: certificate_check(by_kind.get(kind), on) for kind in CERTIFICATE_KINDS}
        rows.append(
            {
                "org_id": charity.org_id,
                "name": charity.name,
                **{kind: checks[kind] for kind in CERTIFICATE_KINDS},
                "both_public_and_valid": all(checks[k]["public"] and checks[k]["valid"] for k in CERTIFICATE_KINDS),
            }
        )
    return rows


def feedback_timeliness(entries: Iterable[FeedbackFacts]) -> dict[str, Any]:
    entries = list(entries)
    on_time = sum(1 for e in entries if e.on_time)
    return {
        "posted": len(entries),
        "on_time": on_time,
        "late": len(entries) - on_time,
        # A share, not money: a float rounded for people; None when nothing was posted.
        "on_time_share": round(on_time / len(entries), 4) if entries else None,
    }


def offline_changes(changes: Iterable[StatusChangeFacts]) -> dict[str, Any]:
    taken, restored = [], []
    for change in sorted(changes, key=lambda c: (c.at, c.subject_id)):
        row = {"project_id": change.subject_id, "at": change.at, "reason": change.reason, "by": change.actor}
        if change.to_status == "offline" and change.from_status != "offline":
            taken.append(row)
        elif change.from_status == "offline" and change.to_status == "online":
            restored.append(row)
    return {
        "taken_offline": len(taken),
        "restored": len(restored),
        "taken_offline_items": taken,
        "restored_items": restored,
    }


def complaint_verdict(complaint: ComplaintFacts, report_time: str) -> str:
    """answered_in_time | answered_late | unanswered_overdue | open (not yet due when the report was made)."""
    if complaint.responded_at:
        if complaint.answered_on_time is not None:
            return "answered_in_time" if complaint.answered_on_time else "answered_late"
        in_time = complaint.due_at is None or complaint.responded_at <= complaint.due_at
        return "answered_in_time" if in_time else "answered_late"
    if complaint.due_at and complaint.due_at < report_time:
        return "unanswered_overdue"
    return "open"


def complaint_figures(complaints: Iterable[ComplaintFacts], report_time: str) -> dict[str, Any]:
    items = []
    counts: dict[str, int] = {"answered_in_time": 0, "answered_late": 0, "unanswered_overdue": 0, "open": 0}
    for complaint in sorted(complaints, key=lambda c: (c.created_at, c.complaint_id)):
        verdict = complaint_verdict(complaint, report_time)
        counts[verdict] += 1
        items.append(
            {
                "complaint_id": complaint.complaint_id,
                "project_id": complaint.project_id,
                "created_at": complaint.created_at,
                "due_at": complaint.due_at,
                "responded_at": complaint.responded_at,
                "verdict": verdict,
                "answered_within_5_working_days": verdict == "answered_in_time",
            }
        )
    return {"received": len(items), **counts, "items": items}


def _split(online: int, imported: int, matched: int) -> dict[str, int]:
    """Online / imported (offline) / matched, and their sum (公益宝-style footnotes)."""
    return {
        "online_fen": online,
        "imported_fen": imported,
        "matched_fen": matched,
        "total_with_matched_fen": online + imported + matched,
    }


def donation_totals(donations: Iterable[DonationFacts]) -> dict[str, Any]:
    by_project: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    split: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # project -> online, imported, matched
    for d in donations:
        for bucket in (by_project[d.project_id], by_channel[d.channel], by_pair[(d.project_id, d.channel)]):
            bucket[0] += int(d.amount_fen)
            bucket[1] += 1
        parts = split[d.project_id]
        parts[1 if d.channel == IMPORT_CHANNEL else 0] += int(d.amount_fen)
        parts[2] += int(d.matched_fen)
    return {
        "total_fen": sum(v[0] for v in by_channel.values()),
        "count": sum(v[1] for v in by_channel.values()),
        **_split(*(sum(parts[i] for parts in split.values()) for i in range(3))),
        "by_channel": [{"channel": k, "total_fen": v[0], "count": v[1]} for k, v in sorted(by_channel.items())],
        "by_project": [
            {"project_id": k, "total_fen": v[0], "count": v[1], **_split(*split[k])}
            for k, v in sorted(by_project.items())
        ],
        "by_project_and_channel": [
            {"project_id": p, "channel": c, "total_fen": v[0], "count": v[1]} for (p, c), v in sorted(by_pair.items())
        ],
    }


def compose_report(
    *,
    month: str,
    generated_at: str,
    last_day: date,
    charities: Iterable[CharityFacts],
    projects_by_status: dict[str, int],
    feedback: Iterable[FeedbackFacts],
    status_changes: Iterable[StatusChangeFacts],
    complaints: Iterable[ComplaintFacts],
    donations: Iterable[DonationFacts],
) -> dict[str, Any]:
    rows = charity_rows(charities, last_day)
    return {
        "title": f"月度自检报告 {month}",
        "month": month,
        "timezone": "Asia/Shanghai",
        "generated_at": generated_at,
        "charities": {
            "total": len(rows),
            "both_certificates_public_and_valid": sum(1 for r in rows if r["both_public_and_valid"]),
            "checked_on": last_day.isoformat(),
            "items": rows,
        },
        "projects_by_status": dict(sorted(projects_by_status.items())),
        "feedback_timeliness": feedback_timeliness(feedback),
        "offline_and_restored": offline_changes(status_changes),
        "complaints": complaint_figures(complaints, generated_at),
        "donations": donation_totals(donations),
    }
