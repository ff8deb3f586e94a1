"""Surge-proof public reads: snapshots refreshed from the donations stream, and Cache-Control.

A public view reads one snapshot item per project (whatever its counter shards); the
donations-stream consumer refreshes it from the shards; public GET responses are
cacheable for a second (plus one stale while revalidating), personal ones never.
"""

from __future__ import annotations

from typing import Any

from chalicelib.dal.totals import ProjectCounterModel, Totals, read_snapshot, snapshot_key, write_snapshot
from tests.factories import make_donation, make_project, stream_record
from tests.factories.streams import stream_event


def _count(project: Any, shard: int, amount: int, donations: int = 1) -> None:
    ProjectCounterModel.for_shard(
        project.project_id, shard, amount_fen=amount, donation_count=donations, donor_count=donations
    ).save()


def _paid(aws: Any, project: Any, amount: int) -> dict[str, Any]:
    donation = make_donation(aws, project, amount_fen=amount)
    pending = DonationCopy(donation, status="pending")
    return stream_record(donation, pending)


def DonationCopy(donation: Any, **changes: Any) -> Any:  # noqa: N802 - builds a model
    from chalicelib.dal.donations import DonationModel

    return DonationModel.from_raw_data({**donation.serialize(), **{k: {"S": v} for k, v in changes.items()}})


def test_public_reads_come_from_the_snapshot_the_stream_refreshes(client: Any, aws: Any) -> None:
    from chalicelib.functions.search import refresh_raised

    # Given a project with 10 counter shards and a confirmed gift on shard 3
    project = make_project(counter_shards=10)
    record = _paid(aws, project, 5_000)
    _count(project, 3, 5_000)
    # When the donations stream delivers the gift (twice: streams repeat)
    assert refresh_raised(aws, stream_event(record)) == {"batchItemFailures": []}
    assert refresh_raised(aws, stream_event(record)) == {"batchItemFailures": []}
    # And a later gift reaches a shard but not yet the stream
    _count(project, 7, 1_000)
    # Then every public view shows the snapshot (one item), not a fresh sum of the shards
    totals = client.http.get(f"/projects/{project.project_id}/totals").json_body
    assert (totals["amount_fen"], totals["donation_count"]) == (5_000, 1)
    page = client.http.get(f"/projects/{project.project_id}").json_body
    assert page["amount_raised_fen"] == 5_000
    donations = client.http.get(f"/projects/{project.project_id}/donations").json_body
    assert [d["amount_fen"] for d in donations["items"]] == [5_000]
    # And once the stream brings the later gift, the views catch up
    later = _paid(aws, project, 1_000)
    assert refresh_raised(aws, stream_event(later)) == {"batchItemFailures": []}
    totals = client.http.get(f"/projects/{project.project_id}/totals").json_body
    assert (totals["amount_fen"], totals["donation_count"]) == (6_000, 2)
    donations = client.http.get(f"/projects/{project.project_id}/donations").json_body
    assert sorted(d["amount_fen"] for d in donations["items"]) == [1_000, 5_000]


def test_an_older_read_never_overwrites_a_newer_snapshot(aws: Any) -> None:
    project = make_project()
    assert write_snapshot(project.project_id, Totals(200, 2, 2), as_of=2_000, recent=[])
    # A consumer that read the shards earlier but writes later loses
    assert not write_snapshot(project.project_id, Totals(100, 1, 1), as_of=1_000, recent=[])
    assert read_snapshot(project.project_id, 10) == Totals(200, 2, 2)
    assert ProjectCounterModel.get(snapshot_key(project.project_id)).as_of == 2_000


def test_before_any_snapshot_totals_are_the_sum_of_the_shards(aws: Any) -> None:
    project = make_project(counter_shards=4)
    _count(project, 0, 300)
    _count(project, 3, 700)
    assert read_snapshot(project.project_id, 4) == Totals(1_000, 2, 2)


def test_public_gets_are_cacheable_and_personal_ones_are_not(client: Any, aws: Any, token: Any) -> None:
    project = make_project()
    public = client.http.get(f"/projects/{project.project_id}/totals")
    assert public.status_code == 200
    assert public.headers["Cache-Control"] == "public, max-age=1, s-maxage=1, stale-while-revalidate=1"
    # Signed in, the same GET may be shaped for the caller: never shared
    signed_in = client.http.get(
        f"/projects/{project.project_id}", headers={"Authorization": f"Bearer {token('donor')}"}
    )
    assert signed_in.status_code == 200 and signed_in.headers["Cache-Control"] == "private, no-store"
    assert (
        client.http.get("/me", headers={"Authorization": f"Bearer {token('donor')}"}).headers["Cache-Control"]
        == "private, no-store"
    )
    # Errors are never cached
    missing = client.http.get("/projects/01JXXXXXXXXXXXXXXXXXXXXXXX/totals")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "private, no-store"


def test_every_public_get_route_is_declared_cacheable() -> None:
    from chalicelib.api.routing import PUBLIC_CACHE, cache_control, routes_of
    from chalicelib.blueprints import BLUEPRINTS

    specs = [s for bp in BLUEPRINTS for s in routes_of(bp)]
    public = [s for s in specs if s.method == "GET" and s.auth != "required"]
    assert {"/projects", "/projects/{project_id}", "/projects/{project_id}/totals",
            "/projects/{project_id}/donations", "/campaigns/{campaign_id}"} <= {s.path for s in public}  # fmt: skip
    assert all(cache_control(s, signed_in=False) == PUBLIC_CACHE for s in public)
