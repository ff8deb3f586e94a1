"""Match pools, teams and enterprises through the HTTP API (chalice test client on moto)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.matching import MatchPoolModel
from chalicelib.dal.teams import EnterpriseModel, GiftCreditModel, TeamModel
from chalicelib.functions.matching import match_gifts, refresh_boards
from chalicelib.logic.matching.stream import forget_cached_pools
from tests.factories.donations import make_donation
from tests.factories.orgs import credit_code
from tests.factories.projects import make_project
from tests.factories.streams import stream_event, stream_record
from tests.integration.test_matching_surge import window_around_now


def pool_body(project_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "funder": "腾讯公益慈善基金会",
        "budget_fen": 1_000_000,
        "ratio_num": 1,
        "ratio_den": 1,
        "gift_cap_fen": 10_000,
        "donor_day_cap_fen": 15_000,
        "project_ids": [project_id],
        "windows": [window_around_now()],
        "budget_shards": 4,
    }
    body.update(overrides)
    return body


def post(client: Any, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.http.post(path, body=json.dumps(body), headers=headers or {"Content-Type": "application/json"})


def deliver(settings: Any, *donations: Any) -> None:
    """The donations stream to the matcher, then the gift-credits stream to the leaderboards."""
    forget_cached_pools()
    records = [stream_record(d, None, event_name="MODIFY") for d in donations]
    assert match_gifts(settings, stream_event(*records)) == {"batchItemFailures": []}
    feed_credits(settings)


def feed_credits(settings: Any) -> None:
    credits = [stream_record(c, None, event_name="MODIFY") for c in GiftCreditModel.scan()]  # tests only
    if credits:
        assert refresh_boards(settings, stream_event(*credits)) == {"batchItemFailures": []}


def pools_stored() -> int:
    return sum(1 for _ in MatchPoolModel.scan())  # tests only: count what a bad request might have left


def test_pool_routes_need_the_right_role_and_refuse_bad_input(client: Any, auth: Any) -> None:
    project = make_project()
    # Anonymous: 401; a donor or a charity: 403; nothing stored
    assert post(client, "/match-pools", pool_body(project.project_id)).status_code == 401
    assert post(client, "/match-pools", pool_body(project.project_id), auth("donor")).status_code == 403
    assert (
        post(
            client, "/match-pools", pool_body(project.project_id), auth("org_admin", org_id=project.org_id)
        ).status_code
        == 403
    )
    # Bad input: 422 with a machine-readable code, nothing stored
    admin = auth("platform_admin")
    for bad in (
        {"ratio_num": 0},
        {"budget_fen": 1.5},
        {"windows": ["2026-01-02T00:00:00+08:00/2026-01-01T00:00:00+08:00"]},
        {"windows": ["yesterday"]},
        {"project_ids": ["no-such-project"]},
        {"project_ids": []},
    ):
        response = post(client, "/match-pools", pool_body(project.project_id, **bad), admin)
        assert response.status_code == 422, (bad, response.json_body)
        assert response.json_body["error"]["code"]
    assert pools_stored() == 0

    # A platform admin creates one: the budget is all left
    created = post(client, "/match-pools", pool_body(project.project_id), admin)
    assert created.status_code == 201
    pool = created.json_body
    assert (pool["budget_left_fen"], pool["matched_fen"], pool["status"]) == (1_000_000, 0, "open")
    # Extending: anonymous 401, donor 403, nothing to extend 422; then budget added over the shards
    path = f"/match-pools/{pool['pool_id']}/extend"
    assert post(client, path, {"add_budget_fen": 5}).status_code == 401
    assert post(client, path, {"add_budget_fen": 5}, auth("donor")).status_code == 403
    assert post(client, path, {}, admin).status_code == 422
    extended = post(client, path, {"add_budget_fen": 3}, admin).json_body
    assert (extended["budget_fen"], extended["budget_left_fen"]) == (1_000_003, 1_000_003)
    # Closing, twice: the second is a conflict; a closed pool is not extended
    assert post(client, f"/match-pools/{pool['pool_id']}/close", {}, admin).json_body["status"] == "closed"
    assert post(client, f"/match-pools/{pool['pool_id']}/close", {}, admin).status_code == 409
    assert post(client, path, {"add_budget_fen": 3}, admin).status_code == 409
    assert client.http.get(f"/match-pools/{pool['pool_id']}").json_body["budget_left_fen"] == 1_000_003
    assert client.http.get("/match-pools/nope").status_code == 404


def test_matched_gifts_show_in_the_pool_and_the_project_totals(client: Any, auth: Any, aws: Any) -> None:
    project = make_project()
    pool = post(client, "/match-pools", pool_body(project.project_id), auth("platform_admin")).json_body
    # Two gifts by one donor (the day cap binds on the second) and one by another
    first = make_donation(aws, project, amount_fen=12_000, donor_sub="a")
    second = make_donation(aws, project, amount_fen=9_000, donor_sub="a")
    other = make_donation(aws, project, amount_fen=3_000, donor_sub="b", phone=None)
    for gift, key in ((first, "sub:a"), (second, "sub:a"), (other, "sub:b")):
        gift.donor_key = key
    deliver(aws, first, second, other)
    deliver(aws, first, second, other)  # a replayed batch
    view = client.http.get(f"/match-pools/{pool['pool_id']}").json_body
    assert view["matched_fen"] == 10_000 + 5_000 + 3_000
    assert view["budget_left_fen"] == 1_000_000 - 18_000
    totals = client.http.get(f"/projects/{project.project_id}/totals").json_body
    assert totals["matched_fen"] == 18_000
    assert totals["total_fen"] == totals["amount_fen"] + 18_000
    assert totals["online_fen"] + totals["imported_fen"] == totals["amount_fen"]


def test_team_totals_donors_and_leaderboard(client: Any, auth: Any, aws: Any) -> None:
    project = make_project()
    other_project = make_project()
    body = {"title": "三年二班一起捐", "story": "为山区孩子送午餐", "target_fen": 500_000}
    # Anonymous 401; bad input 422 and nothing stored
    assert post(client, f"/projects/{project.project_id}/teams", body).status_code == 401
    donor = auth("donor", sub="captain")
    assert post(client, f"/projects/{project.project_id}/teams", {**body, "target_fen": 0}, donor).status_code == 422
    assert post(client, f"/projects/{project.project_id}/teams", {**body, "title": ""}, donor).status_code == 422
    assert post(client, "/projects/nope/teams", body, donor).status_code == 404
    assert sum(1 for _ in TeamModel.scan()) == 0

    team = post(client, f"/projects/{project.project_id}/teams", body, donor).json_body
    second = post(client, f"/projects/{project.project_id}/teams", {**body, "title": "二队"}, donor).json_body
    # A gift naming a team of another project is refused
    foreign = post(
        client,
        f"/projects/{other_project.project_id}/donations",
        {"amount_fen": 100, "channel": "sandbox", "team_id": team["team_id"]},
        {**donor, "Idempotency-Key": "k-1"},
    )
    assert foreign.status_code == 422 and foreign.json_body["error"]["code"] == "validation_error"

    gifts = []
    for name, sub, amount in (
        ("王小明", "w", 3_000),
        ("李雷", "l", 8_000),
        ("王小明", "w", 6_000),
        ("韩梅梅", "h", 500),
    ):
        gift = make_donation(aws, project, amount_fen=amount, donor_sub=sub, donor_name=name)
        gift.team_id, gift.donor_key = team["team_id"], f"sub:{sub}"
        gifts.append(gift)
    big = make_donation(aws, project, amount_fen=50_000, donor_sub="z")
    big.team_id, big.donor_key = second["team_id"], "sub:z"
    deliver(aws, *gifts, big, gifts[0])
    deliver(aws, *gifts)

    view = client.http.get(f"/teams/{team['team_id']}").json_body
    assert view["amount_fen"] == 17_500 and view["donation_count"] == 4 and view["donor_count"] == 3
    assert [(r["donor"], r["amount_fen"]) for r in view["leaderboard"]] == [
        ("王**", 9_000),
        ("李*", 8_000),
        ("韩**", 500),
    ]
    top = client.http.get(f"/projects/{project.project_id}/teams").json_body["items"]
    assert [t["team_id"] for t in top] == [second["team_id"], team["team_id"]]

    # Refunding one gift (twice) takes it out of the team once
    refunded = gifts[1]
    old = stream_record(refunded, None)
    refunded.status, refunded.refunded_at = "refunded", to_iso(utcnow())
    record = stream_record(refunded, None, event_name="MODIFY")
    assert old["dynamodb"]["NewImage"]["status"]["S"] == "paid"
    for _ in range(2):
        assert match_gifts(aws, stream_event(record)) == {"batchItemFailures": []}
    after = client.http.get(f"/teams/{team['team_id']}").json_body
    assert (after["amount_fen"], after["donor_count"]) == (9_500, 2)


def test_enterprise_apply_approve_join_and_its_own_pool(client: Any, auth: Any, aws: Any) -> None:
    boss, rival, staff, outsider = (auth("donor", sub=s) for s in ("boss", "rival", "staff", "outsider"))
    admin = auth("platform_admin")
    application = {
        "name": "某某科技有限公司",
        "credit_code": credit_code(),
        "contact_name": "赵",
        "contact_phone": "13812345678",
    }
    # Anonymous 401; bad credit code and phone 422, nothing stored
    assert post(client, "/enterprises", application).status_code == 401
    bad = post(client, "/enterprises", {**application, "credit_code": "91110000000000000X"}, boss)
    assert bad.status_code == 422 and {d["code"] for d in bad.json_body["error"]["details"]} >= {"invalid_credit_code"}
    assert sum(1 for _ in EnterpriseModel.scan()) == 0

    enterprise = post(client, "/enterprises", application, boss).json_body
    theirs = post(client, "/enterprises", {**application, "credit_code": credit_code()}, rival).json_body
    eid = enterprise["enterprise_id"]
    assert enterprise["contact_phone"] == "138****5678"
    # Only a platform admin approves; the pending enterprise cannot create pools or invite
    assert post(client, f"/enterprises/{eid}/approve", {}, boss).status_code == 403
    project = make_project()
    assert post(client, "/match-pools", pool_body(project.project_id, enterprise_id=eid), boss).status_code == 409
    assert post(client, f"/enterprises/{eid}/approve", {}, admin).json_body["status"] == "approved"
    post(client, f"/enterprises/{theirs['enterprise_id']}/approve", {}, admin)

    # The invitation: its admin only (another enterprise's admin 403)
    assert client.http.get(f"/enterprises/{eid}/invitation", headers=rival).status_code == 403
    code = client.http.get(f"/enterprises/{eid}/invitation", headers=boss).json_body["invite_code"]
    assert post(client, f"/enterprises/{eid}/members", {"invite_code": "wrong-code"}, outsider).status_code == 403
    assert post(client, f"/enterprises/{eid}/members", {"invite_code": code}, staff).json_body["member"] is True

    # Its own pool: by its admin (another enterprise's admin 403); it matches only members' gifts
    assert post(client, "/match-pools", pool_body(project.project_id, enterprise_id=eid), rival).status_code == 403
    pool = post(client, "/match-pools", pool_body(project.project_id, enterprise_id=eid), boss).json_body
    assert post(client, f"/match-pools/{pool['pool_id']}/close", {}, rival).status_code == 403
    member_gift = make_donation(aws, project, amount_fen=4_000, donor_sub="staff", donor_name="钱多多")
    outsider_gift = make_donation(aws, project, amount_fen=4_000, donor_sub="outsider")
    member_gift.donor_key, outsider_gift.donor_key = "sub:staff", "sub:outsider"
    deliver(aws, member_gift, outsider_gift, member_gift)
    assert client.http.get(f"/match-pools/{pool['pool_id']}").json_body["matched_fen"] == 4_000

    page = client.http.get(f"/enterprises/{eid}").json_body
    assert [(m["donor"], m["amount_fen"]) for m in page["members"]] == [("钱**", 4_000)]
    assert (page["member_amount_fen"], page["member_donation_count"], page["member_donor_count"]) == (4_000, 1, 1)
    assert [p["pool_id"] for p in page["pools"]] == [pool["pool_id"]]
