"""一起捐 teams: a donor's page for a project, its total, donors and member leaderboard;
gifts through a team (and by an enterprise's employees) are counted by the donations
stream, once per donation; leaderboards are snapshots (``leaderboards``)."""

from __future__ import annotations

import random
from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import teams as store
from chalicelib.dal.projects import find_project
from chalicelib.dal.teams import GiftCreditModel, TeamCounterModel, TeamModel
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.logic import leaderboards as boards
from chalicelib.logic.keyed_creation import keyed_id, request_digest, require_same_request
from chalicelib.logic.matching.rules import Gift
from chalicelib.privacy import mask_name

TEAM_SHARDS = 8
ENTERPRISE_SHARDS = 8


def create_team(
    principal: Principal, project_id: str, body: dict[str, Any], *, idempotency_key: str | None = None
) -> TeamModel:
    """A new team; a retry with the same ``Idempotency-Key`` (and body) returns the same team."""
    project = find_project(project_id)
    if project is None:
        raise NotFound(f"no project {project_id}", code="project_not_found")
    if project.status != "online":
        raise Conflict("teams can only be started for an online project", code="project_not_online")
    enterprise_id = body.get("enterprise_id")
    if enterprise_id and not store.is_member(enterprise_id, principal.sub):
        raise ValidationFailed(
            "you are not a member of that enterprise",
            details=[{"field": "enterprise_id", "code": "not_a_member", "message": "join it first"}],
        )
    now = to_iso(utcnow())
    team = TeamModel(
        team_id=keyed_id(f"POST /projects/{project_id}/teams|{principal.sub}", idempotency_key),
        project_id=project_id,
        enterprise_id=enterprise_id or None,
        title=body["title"].strip(),
        story=body["story"].strip(),
        target_fen=int(body["target_fen"]),
        cover_key=body.get("cover_key") or None,
        creator_sub=principal.sub,
        counter_shards=TEAM_SHARDS,
        created_at=now,
        request_digest=request_digest(body),
    )
    try:
        store.save_new(team)
    except store.AlreadyExists:
        existing = store.find_team(team.team_id)
        assert existing is not None
        require_same_request(existing.request_digest, str(team.request_digest))
        return existing
    # On its project's (and enterprise's) board from the start, at 0: one write per new team.
    boards.refresh_teams([team])
    return team


def team_for_gift(team_id: str, project_id: str) -> None:
    """A gift may name a team only of the project it goes to."""
    team = store.find_team(team_id)
    if team is None or team.project_id != project_id:
        raise ValidationFailed(
            "the team does not exist or belongs to another project",
            details=[{"field": "team_id", "code": "team_not_in_project", "message": "pick a team of this project"}],
        )


def _member_view(row: list[Any]) -> dict[str, Any]:
    _key, amount, count, _changes, donor_name, anonymous = row
    name = "爱心人士" if anonymous or not donor_name else mask_name(donor_name)
    return {"donor": name, "amount_fen": int(amount), "donation_count": int(count)}


def leaderboard(group_id: str) -> list[dict[str, Any]]:
    """Members who gave, most first (ties: more gifts, then member key), from the group's
    snapshot (one GetItem, however many members)."""
    rows, floor, _ = store.find_board(group_id, consistent=False)
    return [_member_view(r) for r in boards.top_rows(rows, floor, boards.SHOWN_MEMBERS) if int(r[1]) > 0]


def _team_counter_keys(team: TeamModel) -> list[str]:
    return [TeamCounterModel.key(team.team_id, s) for s in range(int(team.counter_shards))]


def enterprise_totals(enterprise_id: str) -> store.GroupTotals:
    keys = [TeamCounterModel.enterprise_key(enterprise_id, s) for s in range(ENTERPRISE_SHARDS)]
    return store.group_totals({enterprise_id: keys})[enterprise_id]


def team_view(team_id: str) -> dict[str, Any]:
    team = store.find_team(team_id)
    if team is None:
        raise NotFound(f"no team {team_id}", code="team_not_found")
    totals = store.group_totals({team_id: _team_counter_keys(team)})[team_id]
    return {
        **_summary(team, totals.amount_fen, totals.donation_count),
        "story": team.story,
        "cover_key": team.cover_key,
        "donor_count": totals.donor_count,
        "leaderboard": leaderboard(f"team#{team_id}"),
    }


def _summary(team: TeamModel, amount: int, count: int) -> dict[str, Any]:
    return {
        "team_id": team.team_id,
        "project_id": team.project_id,
        "enterprise_id": team.enterprise_id,
        "title": team.title,
        "target_fen": int(team.target_fen),
        "amount_fen": amount,
        "donation_count": count,
        "created_at": team.created_at,
    }


def top_teams(board_key: str) -> list[dict[str, Any]]:
    """The top teams from a snapshot (one GetItem, and one BatchGetItem for their pages)."""
    rows, floor, _ = store.find_board(board_key, consistent=False)
    top = boards.top_rows(rows, floor, boards.SHOWN_TEAMS)
    teams = store.teams_by_id([str(r[0]) for r in top])
    return [_summary(teams[r[0]], int(r[1]), int(r[2])) for r in top if r[0] in teams]


def project_top_teams(project_id: str) -> list[dict[str, Any]]:
    if find_project(project_id) is None:
        raise NotFound(f"no project {project_id}", code="project_not_found")
    return top_teams(boards.project_board(project_id))


def _member_key(gift: Gift) -> str:
    return gift.donor_key or f"gift:{gift.donation_id}"


def credit_team_gift(team_id: str, gift: Gift, image: dict[str, Any]) -> str:
    team = store.find_team(team_id)
    if team is None or team.project_id != gift.project_id:
        return "team_unknown"
    credit = GiftCreditModel(
        credit_key=f"team#{gift.donation_id}",
        group_id=f"team#{team_id}",
        member_key=_member_key(gift),
        counter_key=TeamCounterModel.key(team_id, random.randrange(int(team.counter_shards))),
        amount_fen=gift.amount_fen,
        status="credited",
    )
    done = store.credit_gift(credit, donor_name=image.get("donor_name"), anonymous=bool(image.get("anonymous")))
    return "team_credited" if done else "team_already_credited"


def refund_team_gift(donation_id: str) -> str:
    return "team_" + store.uncredit_gift(f"team#{donation_id}")


def credit_enterprise_gift(gift: Gift, image: dict[str, Any]) -> str:
    """An employee's gift counts to each enterprise they belong to (masked on its page)."""
    if not gift.donor_sub:
        return ""
    done = []
    for enterprise_id in store.enterprises_of(gift.donor_sub):
        credit = GiftCreditModel(
            credit_key=f"enterprise#{enterprise_id}#{gift.donation_id}",
            group_id=f"enterprise#{enterprise_id}",
            member_key=f"sub:{gift.donor_sub}",
            counter_key=TeamCounterModel.enterprise_key(enterprise_id, random.randrange(ENTERPRISE_SHARDS)),
            amount_fen=gift.amount_fen,
            status="credited",
        )
        store.credit_gift(credit, donor_name=image.get("donor_name"), anonymous=bool(image.get("anonymous")))
        done.append(enterprise_id)
    return f"enterprises {len(done)}"


def refund_enterprise_gift(donor_sub: str | None, donation_id: str) -> str:
    if not donor_sub:
        return ""
    results = [store.uncredit_gift(f"enterprise#{e}#{donation_id}") for e in store.enterprises_of(donor_sub)]
    return f"enterprises {results}"
