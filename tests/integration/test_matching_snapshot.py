"""配捐 in the public totals: the matcher refreshes the snapshot public GETs read.

The donations stream feeds two consumers: ``search_refresh_raised`` (the public snapshot) and
``gift_matcher`` (the match). The snapshot may be refreshed before the match exists; the
matcher then refreshes it again, so the project page shows the match without waiting for
the project's next gift.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.functions.matching import match_gifts
from chalicelib.functions.search import refresh_raised
from chalicelib.logic.matching.stream import forget_cached_pools
from tests.factories.donations import make_donation
from tests.factories.projects import make_project
from tests.factories.streams import stream_event, stream_record
from tests.integration.test_matching_api import pool_body
from tests.integration.test_public_snapshots import DonationCopy, _count


def _pool(client: Any, auth: Any, project_id: str) -> None:
    body = json.dumps(pool_body(project_id, donor_day_cap_fen=None))
    created = client.http.post("/match-pools", body=body, headers=auth("platform_admin"))
    assert created.status_code == 201, created.body
    forget_cached_pools()


def _gift(aws: Any, project: Any, amount: int) -> tuple[Any, dict[str, Any]]:
    donation = make_donation(aws, project, amount_fen=amount)
    _count(project, int(donation.shard or 0), amount)
    return donation, stream_record(donation, DonationCopy(donation, status="pending"), event_name="MODIFY")


def _totals(client: Any, project: Any) -> tuple[int, int]:
    totals = client.http.get(f"/projects/{project.project_id}/totals").json_body
    return totals["amount_fen"], totals["matched_fen"]


def test_a_match_made_after_the_snapshot_shows_in_the_public_totals(client, auth, aws):
    # Given a project with a 1:1 pool and a paid gift whose snapshot was refreshed first
    project = make_project()
    _pool(client, auth, project.project_id)
    donation, record = _gift(aws, project, 6_000)
    assert refresh_raised(aws, stream_event(record)) == {"batchItemFailures": []}
    assert _totals(client, project) == (6_000, 0)

    # When the matcher matches it (and the stream replays the record)
    assert match_gifts(aws, stream_event(record)) == {"batchItemFailures": []}
    assert match_gifts(aws, stream_event(record)) == {"batchItemFailures": []}

    # Then the public totals show the match, once
    assert _totals(client, project) == (6_000, 6_000)
    page = client.http.get(f"/projects/{project.project_id}").json_body
    assert page["amount_raised_fen"] == 6_000

    # And a refund returns it in the public totals too
    refunded = stream_record(DonationCopy(donation, status="refunded"), DonationCopy(donation), event_name="MODIFY")
    assert match_gifts(aws, stream_event(refunded)) == {"batchItemFailures": []}
    assert _totals(client, project)[1] == 0


def test_a_project_without_pools_is_not_refreshed_by_the_matcher(client, auth, aws, monkeypatch):
    project = make_project()
    _, record = _gift(aws, project, 1_000)
    calls: list[str] = []
    monkeypatch.setattr("chalicelib.logic.projects.snapshots.refresh_public_snapshot", calls.append)
    assert match_gifts(aws, stream_event(record)) == {"batchItemFailures": []}
    assert calls == []


def test_a_failed_refresh_reports_the_projects_records_for_a_replay_that_refreshes(client, auth, aws, monkeypatch):
    # Given a matched gift whose snapshot refresh fails once
    project = make_project()
    _pool(client, auth, project.project_id)
    _, record = _gift(aws, project, 2_000)
    assert refresh_raised(aws, stream_event(record)) == {"batchItemFailures": []}
    import chalicelib.logic.projects.snapshots as snapshots

    real = snapshots.refresh_public_snapshot

    def broken(project_id: str) -> Any:
        raise RuntimeError("DynamoDB throttled")

    monkeypatch.setattr(snapshots, "refresh_public_snapshot", broken)
    failed = match_gifts(aws, stream_event(record))
    assert failed == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert _totals(client, project) == (2_000, 0)

    # When the stream retries the record, the match is found done and the snapshot refreshed
    monkeypatch.setattr(snapshots, "refresh_public_snapshot", real)
    assert match_gifts(aws, stream_event(record)) == {"batchItemFailures": []}
    assert _totals(client, project) == (2_000, 2_000)


@pytest.mark.parametrize(
    ("done", "moves"),
    [
        ("matched 500", True),
        ("already_matched", True),
        ("returned", True),
        ("not_matched", False),
        ("voided", False),
        ("not_matched; team credited", False),
    ],
)
def test_what_moves_the_matched_total(done, moves):
    from chalicelib.logic.matching.stream import moves_matched_totals

    assert moves_matched_totals(done) is moves
