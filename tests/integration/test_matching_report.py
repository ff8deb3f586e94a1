"""Online / imported / matched, split in the monthly report (issue 16), and imported gifts
never matched (moto)."""

from __future__ import annotations

import csv
import io
from typing import Any

from chalicelib.dal.aws import aws_client
from chalicelib.dal.compliance import get_report_json
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.matching import MatchModel, budget_state, find_match
from chalicelib.ids import new_id
from chalicelib.logic.compliance.runner import run_job
from tests.factories.projects import make_project
from tests.integration.test_compliance_report import REPORT_AS_OF
from tests.integration.test_matching_api import deliver
from tests.integration.test_matching_surge import make_pool, paid


def gift(project: Any, amount: int, channel: str, *, matched: int | None = None, status: str = "matched") -> None:
    """A gift paid in November 2026, and optionally its match entry."""
    donation_id = new_id()
    DonationModel(
        donation_id=donation_id,
        project_id=project.project_id,
        org_id=project.org_id,
        shard=0,
        project_shard=f"{project.project_id}#0",
        amount_fen=amount,
        channel=channel,
        status="paid",
        created_at="2026-11-05T00:00:00Z",
        paid_at="2026-11-05T00:00:00Z",
        paid_month_shard=f"2026-11#{len(donation_id) % 4}",
    ).save()
    if matched is not None:
        MatchModel(
            donation_id=donation_id,
            pool_id="pool",
            shard=0,
            project_id=project.project_id,
            totals_shard=0,
            gift_fen=amount,
            amount_fen=matched,
            status=status,
            matched_at="2026-11-05T00:00:01Z",
        ).save()


def test_the_monthly_report_splits_online_imported_and_matched(aws: Any) -> None:
    # Given November's gifts: online ones (one matched, one whose match was returned), imported ones
    project, other = make_project(), make_project()
    gift(project, 10_000, "wechat", matched=5_000)
    gift(project, 2_000, "alipay", matched=1_000, status="returned")
    gift(project, 30_000, "import")
    gift(other, 500, "sandbox")
    # When the report is built
    run_job("monthly_report", REPORT_AS_OF, aws)
    report = get_report_json(aws, "2026-11")
    assert report is not None
    # Then the platform's and each project's totals are split, the match on top of the gifts
    donations = report["donations"]
    assert (donations["online_fen"], donations["imported_fen"], donations["matched_fen"]) == (12_500, 30_000, 5_000)
    assert donations["total_with_matched_fen"] == donations["total_fen"] + 5_000 == 47_500
    by_project = {p["project_id"]: p for p in donations["by_project"]}
    assert (by_project[project.project_id]["online_fen"], by_project[project.project_id]["matched_fen"]) == (
        12_000,
        5_000,
    )
    assert by_project[other.project_id]["total_with_matched_fen"] == 500
    # And the CSV and HTML files show it
    s3 = aws_client(aws, "s3")
    body = s3.get_object(Bucket=aws.reports_bucket, Key="self-check/2026-11/self-check-2026-11.csv")["Body"].read()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    start = rows.index(["# donations_by_project"])
    assert [project.project_id, "3", "12000", "30000", "5000", "47000"] in rows[start : start + 5]
    html = s3.get_object(Bucket=aws.reports_bucket, Key="self-check/2026-11/self-check-2026-11.html")["Body"].read()
    assert "配捐 ¥50.00" in html.decode("utf-8")


def test_an_imported_gift_is_never_matched(aws: Any) -> None:
    # Given an open pool at a project
    project = make_project()
    pool = make_pool(project.project_id, budget_fen=100_000, budget_shards=4)
    online, imported = paid(project.project_id, 1_000, "sub:a", shard=0), paid(project.project_id, 1_000, None, shard=0)
    imported.channel = "import"
    # When an online and an imported gift reach the matcher
    deliver(aws, online, imported)
    # Then only the online one is matched
    assert find_match(online.donation_id) is not None and find_match(imported.donation_id) is None
    assert budget_state(pool["pool_id"], 4).matched_fen == 1_000


def test_the_public_totals_snapshot_shows_imported_and_matched_once_the_match_is_published(
    client: Any, aws: Any
) -> None:
    from chalicelib.dal.totals import ProjectCounterModel
    from chalicelib.logic.projects.snapshots import refresh_public_snapshot
    from tests.factories.streams import stream_event, stream_record

    # Given a project with 30,000 fen imported, whose public snapshot was published before a match
    project = make_project()
    ProjectCounterModel.for_shard(
        project.project_id, 0, amount_fen=30_000, imported_fen=30_000, donation_count=1, donor_count=1
    ).save()
    pool = make_pool(project.project_id, budget_fen=100_000, budget_shards=4)
    online = paid(project.project_id, 2_000, "sub:a", shard=0)
    refresh_public_snapshot(project.project_id)
    deliver(aws, online)
    before = client.http.get(f"/projects/{project.project_id}/totals").json_body
    assert (before["imported_fen"], before["matched_fen"]) == (30_000, 0)  # published before the match
    # When the matches stream delivers the match (twice: a replay)
    match = find_match(online.donation_id)
    assert match is not None and budget_state(pool["pool_id"], 4).matched_fen == 2_000
    for _ in range(2):  # through the test client: its calls are checked against the generated policy
        answer = client.lambda_.invoke("match_totals_published", stream_event(stream_record(match, None)))
        assert answer.payload == {"batchItemFailures": []}
    # Then the public totals show the split, the match on top of the gifts
    after = client.http.get(f"/projects/{project.project_id}/totals").json_body
    assert (after["online_fen"], after["imported_fen"], after["matched_fen"]) == (0, 30_000, 2_000)
    assert after["total_fen"] == after["amount_fen"] + 2_000
