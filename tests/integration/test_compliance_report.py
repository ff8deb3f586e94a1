"""The monthly self-check report against data built in the test."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import requests

from chalicelib.dal.audit import AuditModel
from chalicelib.dal.aws import aws_client
from chalicelib.dal.complaints import ComplaintModel
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.feedback import FeedbackModel
from chalicelib.ids import new_id
from chalicelib.logic.compliance.runner import run_job
from tests.factories import make_org, make_project

# The report for November 2026 runs at 00:30 on 12-01 in Shanghai.
REPORT_AS_OF = datetime.fromisoformat("2026-12-01T00:30:00+08:00")


def feedback(project, posted_at: str, on_time: bool, month: str = "2026-11") -> None:
    feedback_id = new_id()
    FeedbackModel(
        project_id=project.project_id,
        posted_at_id=FeedbackModel.sort_key(posted_at, feedback_id),
        feedback_id=feedback_id,
        posted_at=posted_at,
        org_id=project.org_id,
        posted_by="org-admin",
        text="进展",
        on_time=on_time,
        month=month,
    ).save()


def complaint(project, created_at: str, due_at: str, responded_at: str | None, month: str = "2026-11") -> None:
    ComplaintModel(
        complaint_id=new_id(),
        project_id=project.project_id,
        org_id=project.org_id,
        reason="善款去向不明",
        created_at=created_at,
        due_at=due_at,
        responded_at=responded_at,
        status="answered" if responded_at else "open",
        month=month,
    ).save()


def donation(
    project, amount_fen: int, channel: str, paid_at: str, *, shard: int, status: str = "paid", month: str = "2026-11"
) -> None:
    DonationModel(
        donation_id=new_id(),
        project_id=project.project_id,
        org_id=project.org_id,
        shard=shard,
        project_shard=f"{project.project_id}#{shard}",
        amount_fen=amount_fen,
        channel=channel,
        status=status,
        created_at=paid_at,
        paid_at=paid_at,
        paid_month_shard=f"{month}#{shard}",
    ).save()


def audit(project, at: str, from_status: str, to_status: str, reason: str, month: str = "2026-11") -> None:
    AuditModel(
        subject_id=project.project_id,
        at_id=f"{at}#{new_id()}",
        subject_type="project",
        action="status_change",
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor="x",
        month=month,
    ).save()


@pytest.fixture
def november(aws):
    """Two charities (one with an unpublished certificate scan), projects in several states, and the
    month's feedback, status changes, complaints and donations — plus October/December noise."""
    good, no_scan = make_org(name="北京爱心基金会"), make_org(name="上海助学会", documents=False)
    p1 = make_project(good.org_id)
    p2 = make_project(good.org_id, status="offline", offline_reasons=["feedback_overdue"])
    make_project(no_scan.org_id, status="ended")
    make_project(no_scan.org_id, status="draft")
    feedback(p1, "2026-11-02T01:00:00Z", True)
    feedback(p1, "2026-11-20T01:00:00Z", True)
    feedback(p2, "2026-11-25T01:00:00Z", False)
    feedback(p2, "2026-10-25T01:00:00Z", False, month="2026-10")
    audit(p2, "2026-11-10T00:00:00Z", "online", "offline", "feedback_overdue")
    audit(p1, "2026-11-11T00:00:00Z", "online", "offline", "suspended")
    audit(p1, "2026-11-12T00:00:00Z", "offline", "online", "resumed")
    audit(p1, "2026-10-12T00:00:00Z", "online", "offline", "suspended", month="2026-10")
    complaint(p1, "2026-11-02T01:00:00Z", "2026-11-09T01:00:00Z", "2026-11-06T00:00:00Z")  # in time
    complaint(p1, "2026-11-03T01:00:00Z", "2026-11-10T01:00:00Z", "2026-11-12T00:00:00Z")  # late
    complaint(p2, "2026-11-27T01:00:00Z", "2026-12-04T01:00:00Z", None)  # still open
    donation(p1, 10_000, "wechat", "2026-11-05T00:00:00Z", shard=0)
    donation(p1, 2_345, "wechat", "2026-11-06T00:00:00Z", shard=7)
    donation(p1, 1, "alipay", "2026-11-07T00:00:00Z", shard=3)
    donation(p2, 50_000, "sandbox", "2026-11-08T00:00:00Z", shard=9)
    donation(p2, 777, "alipay", "2026-11-08T00:00:00Z", shard=1, status="refunded")
    donation(p2, 999, "alipay", "2026-10-31T00:00:00Z", shard=1, month="2026-10")
    return {"good": good, "no_scan": no_scan, "p1": p1, "p2": p2}


def test_monthly_report_figures(aws, november):
    # When the report job runs on the 1st (Shanghai) for the previous month
    outcome = run_job("monthly_report", REPORT_AS_OF, aws)

    # Then it built November's report from November's records only
    assert outcome.ran and outcome.period == "2026-11"
    from chalicelib.dal.compliance import get_report_json

    report = get_report_json(aws, "2026-11")
    charities = {c["name"]: c["both_public_and_valid"] for c in report["charities"]["items"]}
    assert charities == {"北京爱心基金会": True, "上海助学会": False}
    assert report["projects_by_status"] == {
        "closed": 0,
        "draft": 1,
        "ended": 1,
        "offline": 1,
        "online": 1,
        "pending_review": 0,
        "rejected": 0,
    }
    assert report["feedback_timeliness"] == {"posted": 3, "on_time": 2, "late": 1, "on_time_share": 0.6667}
    changes = report["offline_and_restored"]
    assert (changes["taken_offline"], changes["restored"]) == (2, 1)
    assert [i["reason"] for i in changes["taken_offline_items"]] == ["feedback_overdue", "suspended"]
    assert [i["verdict"] for i in report["complaints"]["items"]] == ["answered_in_time", "answered_late", "open"]
    donations = report["donations"]
    assert (donations["total_fen"], donations["count"]) == (62_346, 4)
    assert {(r["project_id"], r["channel"]): r["total_fen"] for r in donations["by_project_and_channel"]} == {
        (november["p1"].project_id, "alipay"): 1,
        (november["p1"].project_id, "wechat"): 12_345,
        (november["p2"].project_id, "sandbox"): 50_000,
    }


def test_monthly_report_files_and_route(client, auth, november, aws):
    # Given the report was built
    run_job("monthly_report", REPORT_AS_OF, aws)

    # When a platform admin asks for it
    response = client.http.get("/compliance/reports/2026-11", headers=auth("platform_admin"))

    # Then the JSON comes back with links to JSON, CSV and HTML files that download
    assert response.status_code == 200
    body = response.json_body
    assert body["report"]["month"] == "2026-11"
    assert set(body["downloads"]) == {"json", "csv", "html"}
    csv_text = requests.get(body["downloads"]["csv"], timeout=10).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text)))
    start = rows.index(["# donations_by_channel"])
    assert rows[start + 2 : start + 5] == [["alipay", "1", "1"], ["sandbox", "50000", "1"], ["wechat", "12345", "2"]]
    html = requests.get(body["downloads"]["html"], timeout=10)
    assert html.status_code == 200 and "月度自检报告 2026-11" in html.content.decode("utf-8")
    s3 = aws_client(aws, "s3")
    head = s3.head_object(Bucket=aws.reports_bucket, Key="self-check/2026-11/self-check-2026-11.html")
    assert head["ContentType"].startswith("text/html")


def test_monthly_report_is_idempotent_per_month(aws, november):
    # Given the report for November exists
    first = run_job("monthly_report", REPORT_AS_OF, aws)
    # When the schedule fires again for the same month (a duplicate) after more data arrived
    donation(november["p1"], 5, "wechat", "2026-11-30T00:00:00Z", shard=2)
    again = run_job("monthly_report", REPORT_AS_OF + timedelta(hours=2), aws)
    # Then nothing is rebuilt
    assert first.ran and not again.ran
    from chalicelib.dal.compliance import get_report_json

    assert get_report_json(aws, "2026-11")["donations"]["count"] == 4
