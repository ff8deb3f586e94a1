"""Pure parts of the compliance jobs: calendar, reminder thresholds, report figures and files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest

from chalicelib.logic.compliance.calendar import daily_period, hourly_period, month_bounds, previous_month
from chalicelib.logic.compliance.reminders import threshold_for
from chalicelib.logic.compliance.report_figures import (
    CertificateFacts,
    CharityFacts,
    ComplaintFacts,
    DonationFacts,
    FeedbackFacts,
    StatusChangeFacts,
    compose_report,
)
from chalicelib.logic.compliance.report_formats import to_csv, to_html, to_json, yuan


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_periods_and_the_month_boundary_are_shanghai_time():
    # 2026-11-30T16:30Z is 00:30 on 12-01 in Shanghai: the report for November, the 12-01 daily run
    assert previous_month(at("2026-11-30T16:30:00+00:00")) == "2026-11"
    assert previous_month(at("2026-11-30T15:59:59+00:00")) == "2026-10"
    assert previous_month(at("2027-01-01T00:00:00+08:00")) == "2026-12"
    assert daily_period(at("2026-11-30T16:30:00+00:00")) == "2026-12-01"
    assert hourly_period(at("2026-12-01T08:59:59+08:00")) == "2026-12-01T00"
    start, end = month_bounds("2026-02")
    assert (start.isoformat(), end.isoformat()) == ("2026-02-01T00:00:00+08:00", "2026-03-01T00:00:00+08:00")


@pytest.mark.parametrize(("days", "threshold"), [(9, None), (8, None), (7, 7), (4, 7), (3, 3), (2, 3), (1, 1), (0, 1)])
def test_reminder_thresholds(days, threshold):
    assert threshold_for(days) == threshold


def sample_report() -> dict:
    good = CharityFacts(
        "org1",
        "北京爱心基金会",
        (
            CertificateFacts("registration", "2020-01-01", "2030-01-01", "k1"),
            CertificateFacts("fundraising", "2020-01-01", "2030-01-01", "k2"),
        ),
    )
    no_scan = CharityFacts(
        "org2",
        "上海<助学>会",
        (
            CertificateFacts("registration", "2020-01-01", "2030-01-01", None),
            CertificateFacts("fundraising", "2020-01-01", "2030-01-01", "k"),
        ),
    )
    expired = CharityFacts(
        "org3",
        "广州慈善会",
        (
            CertificateFacts("registration", "2020-01-01", "2026-11-29", "k"),
            CertificateFacts("fundraising", "2020-01-01", "2030-01-01", "k"),
        ),
    )
    no_fundraising = CharityFacts(
        "org4", "深圳公益", (CertificateFacts("registration", "2020-01-01", "2030-01-01", "k"),)
    )
    return compose_report(
        month="2026-11",
        generated_at="2026-11-30T16:30:00.000000Z",
        last_day=date(2026, 11, 30),
        charities=[no_fundraising, expired, no_scan, good],
        projects_by_status={"online": 5, "offline": 2, "ended": 1},
        feedback=[FeedbackFacts("p1", "org1", "t", True)] * 3 + [FeedbackFacts("p2", "org1", "t", False)],
        status_changes=[
            StatusChangeFacts(
                "p1", "2026-11-03T00:00:00Z", "online", "offline", "feedback_overdue", "job:feedback_sweep"
            ),
            StatusChangeFacts("p1", "2026-11-04T00:00:00Z", "offline", "online", "feedback_posted", "org-admin"),
            StatusChangeFacts("p2", "2026-11-05T00:00:00Z", "offline", "offline", "certificate_expired", "job:c"),
            StatusChangeFacts("p3", "2026-11-06T00:00:00Z", "online", "ended", "end_date_passed", "job:end_dates"),
        ],
        complaints=[
            ComplaintFacts("c1", "p1", "2026-11-02T01:00:00Z", "2026-11-09T01:00:00Z", "2026-11-05T00:00:00Z", None),
            ComplaintFacts("c2", "p1", "2026-11-02T01:00:00Z", "2026-11-09T01:00:00Z", "2026-11-20T00:00:00Z", None),
            ComplaintFacts("c3", "p2", "2026-11-10T01:00:00Z", "2026-11-17T01:00:00Z", None, None),
            ComplaintFacts("c4", "p2", "2026-11-28T01:00:00Z", "2026-12-05T01:00:00Z", None, None),
            ComplaintFacts("c5", "p2", "2026-11-28T01:00:00Z", "2026-12-05T01:00:00Z", "2026-12-01T00:00:00Z", True),
        ],
        donations=[
            DonationFacts("p1", "wechat", 1000),
            DonationFacts("p1", "wechat", 2500),
            DonationFacts("p1", "alipay", 1),
            DonationFacts("p2", "alipay", 99_999),
        ],
    )


def test_report_figures():
    report = sample_report()
    charities = {c["org_id"]: c for c in report["charities"]["items"]}
    assert [c["both_public_and_valid"] for c in charities.values()] == [True, False, False, False]
    assert charities["org2"]["registration"] == {
        "present": True,
        "public": False,
        "valid": True,
        "valid_to": "2030-01-01",
    }
    assert charities["org3"]["registration"]["valid"] is False
    assert charities["org4"]["fundraising"]["present"] is False
    assert report["charities"]["both_certificates_public_and_valid"] == 1
    assert report["feedback_timeliness"] == {"posted": 4, "on_time": 3, "late": 1, "on_time_share": 0.75}
    changes = report["offline_and_restored"]
    assert (changes["taken_offline"], changes["restored"]) == (1, 1)
    complaints = report["complaints"]
    assert [i["verdict"] for i in complaints["items"]] == [
        "answered_in_time",
        "answered_late",
        "unanswered_overdue",
        "open",
        "answered_in_time",
    ]
    assert (complaints["received"], complaints["answered_in_time"], complaints["unanswered_overdue"]) == (5, 2, 1)
    donations = report["donations"]
    assert (donations["total_fen"], donations["count"]) == (103_500, 4)
    assert donations["by_channel"] == [
        {"channel": "alipay", "total_fen": 100_000, "count": 2},
        {"channel": "wechat", "total_fen": 3500, "count": 2},
    ]
    assert {(i["project_id"], i["channel"]): i["total_fen"] for i in donations["by_project_and_channel"]} == {
        ("p1", "alipay"): 1,
        ("p1", "wechat"): 3500,
        ("p2", "alipay"): 99_999,
    }


def test_report_files_json_csv_html():
    report = sample_report()
    assert json.loads(to_json(report)) == report
    text = to_csv(report).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    section = rows.index(["# donations_by_channel"])
    assert rows[section + 1 : section + 4] == [
        ["channel", "total_fen", "count"],
        ["alipay", "100000", "2"],
        ["wechat", "3500", "2"],
    ]
    assert ["# complaints"] in rows
    html = to_html(report).decode("utf-8")
    assert "月度自检报告 2026-11" in html and "及时率 75.0%" in html
    assert "上海&lt;助学&gt;会" in html  # names are escaped
    assert yuan(103_500) == "¥1,035.00"
