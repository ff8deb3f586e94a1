"""Team leaderboards through the streams (moto): donations -> gift_matcher -> gift credits ->
team_boards -> GET /teams/{id}, GET /projects/{id}/teams. The snapshots stay bounded and
in the true order, with more members than a snapshot keeps, through refunds."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal.teams import BoardModel, GiftCreditModel
from chalicelib.logic.leaderboards import KEEP, SHOWN_MEMBERS
from tests.factories.donations import make_donation
from tests.factories.projects import make_project
from tests.factories.streams import stream_event, stream_record
from tests.integration.test_matching_api import deliver, post

TEAM = {"title": "三年二班一起捐", "story": "为山区孩子送午餐", "target_fen": 500_000}


def team_gift(aws: Any, project: Any, team_id: str, sub: str, amount: int) -> Any:
    gift = make_donation(aws, project, amount_fen=amount, donor_sub=sub, donor_name="王小明", phone=None)
    gift.team_id, gift.donor_key = team_id, f"sub:{sub}"
    return gift


def expected_board(given: dict[str, list[int]]) -> list[tuple[int, int]]:
    ranked = sorted(((sum(v), len(v), k) for k, v in given.items() if sum(v) > 0), key=lambda t: (-t[0], -t[1], t[2]))
    return [(amount, count) for amount, count, _ in ranked[:SHOWN_MEMBERS]]


def test_a_team_with_more_members_than_a_snapshot_keeps_shows_the_true_top_through_refunds(
    client: Any, auth: Any, aws: Any
) -> None:
    # Given a team and 130 donors (more than the KEEP rows a snapshot holds), some giving twice
    project = make_project()
    team = post(client, f"/projects/{project.project_id}/teams", TEAM, auth("donor", sub="captain")).json_body
    rng = random.Random(16)
    gifts = [team_gift(aws, project, team["team_id"], f"d{i:03d}", rng.randint(1, 400) * 100) for i in range(KEEP + 30)]
    gifts += [team_gift(aws, project, team["team_id"], f"d{rng.randrange(KEEP + 30):03d}", 5_000) for _ in range(40)]
    rng.shuffle(gifts)
    # When they arrive in several stream batches (the last one replayed)
    for start in range(0, len(gifts), 60):
        deliver(aws, *gifts[start : start + 60])
    deliver(aws, *gifts[-60:])
    # (the credits replayed once more through the test client: its calls are checked against
    # the function's generated policy)
    credits = [stream_record(c, None, event_name="MODIFY") for c in GiftCreditModel.scan()][:100]
    assert client.lambda_.invoke("team_boards", stream_event(*credits)).payload == {"batchItemFailures": []}
    given: dict[str, list[int]] = defaultdict(list)
    for gift in gifts:
        given[gift.donor_sub].append(int(gift.amount_fen))
    # Then the team shows its total, its donors and the true top 50, most first
    view = client.http.get(f"/teams/{team['team_id']}").json_body
    assert view["amount_fen"] == sum(int(g.amount_fen) for g in gifts)
    assert (view["donation_count"], view["donor_count"]) == (len(gifts), KEEP + 30)
    assert [(r["amount_fen"], r["donation_count"]) for r in view["leaderboard"]] == expected_board(given)
    assert {r["donor"] for r in view["leaderboard"]} == {"王**"}  # masked
    # And the snapshot is one bounded item
    board = BoardModel.get(f"team#{team['team_id']}")
    assert len(board.rows) < 20_000 and board.rows.count('["sub:') == KEEP

    # When the 60 biggest donors' gifts are all refunded (the snapshot, unsure of its top rows,
    # is rebuilt from every member)
    top_donors = sorted(given, key=lambda d: -sum(given[d]))[:60]
    refunds = [g for g in gifts if g.donor_sub in top_donors]
    for gift in refunds:
        gift.status, gift.refunded_at = "refunded", to_iso(utcnow())
        given[gift.donor_sub] = []
    deliver(aws, *refunds)
    # Then they leave the board and the donor count, and the rest move up in order
    view = client.http.get(f"/teams/{team['team_id']}").json_body
    assert view["donor_count"] == KEEP + 30 - 60
    assert [(r["amount_fen"], r["donation_count"]) for r in view["leaderboard"]] == expected_board(given)


def test_a_project_lists_its_top_teams_in_order_of_their_totals(client: Any, auth: Any, aws: Any) -> None:
    # Given three teams of a project and their gifts
    project = make_project()
    captain = auth("donor", sub="captain")
    teams = [
        post(client, f"/projects/{project.project_id}/teams", {**TEAM, "title": f"第{i}队"}, captain).json_body
        for i in range(3)
    ]
    amounts = {teams[0]["team_id"]: [3_000, 4_000], teams[1]["team_id"]: [9_000], teams[2]["team_id"]: []}
    gifts = [
        team_gift(aws, project, tid, f"s{tid}{i}", a) for tid, values in amounts.items() for i, a in enumerate(values)
    ]
    deliver(aws, *gifts)
    # Then the project's top teams are in order of their totals (the team with nothing last)
    top = client.http.get(f"/projects/{project.project_id}/teams").json_body["items"]
    assert [(t["team_id"], t["amount_fen"]) for t in top] == [
        (teams[1]["team_id"], 9_000),
        (teams[0]["team_id"], 7_000),
        (teams[2]["team_id"], 0),
    ]
