"""一起捐 teams: a donor's page for a project, its total, donors and member leaderboard;
gifts through a team (and by an enterprise's employees) are counted by the donations
stream, once per donation."""

from __future__ import annotations

import random
from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import teams as store
from chalicelib.dal.projects import find_project
from chalicelib.dal.teams import GiftCreditModel, TeamCounterModel, TeamModel
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.logic.keyed_creation import keyed_id, request_digest, require_same_request
from chalicelib.logic.matching.rules import Gift
from chalicelib.privacy import mask_name

TEAM_SHARDS = 8


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
    return team


def team_for_gift(team_id: str, project_id: str) -> None:
    """A gift may name a team only of the project it goes to."""
    team = store.find_team(team_id)
    if team is None or team.project_id != project_id:
        raise ValidationFailed(
            "the team does not exist or belongs to another project",
            details=[{"field": "team_id", "code": "team_not_in_project", "message": "pick a team of this project"}],
        )


def _member_view(member: Any) -> dict[str, Any]:
    name = "爱心人士" if member.anonymous or not member.donor_name else mask_name(member.donor_name)
    return {"donor": name, "amount_fen": int(member.amount_fen), "donation_count": int(member.donation_count)}


def leaderboard(group_id: str, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
    """Members who gave, most first (ties: more gifts, then earlier key), and how many donors."""
    members = [m for m in store.members_of(group_id) if int(m.amount_fen or 0) > 0]
    members.sort(key=lambda m: (-int(m.amount_fen), -int(m.donation_count), m.member_key))
    return [_member_view(m) for m in members[:limit]], len(members)


def team_view(team_id: str) -> dict[str, Any]:
    team = store.find_team(team_id)
    if team is None:
        raise NotFound(f"no team {team_id}", code="team_not_found")
    amount, count = store.team_totals([team])[team.team_id]
    board, donors = leaderboard(f"team#{team_id}")
    return {
        **_summary(team, amount, count),
        "story": team.story,
        "cover_key": team.cover_key,
        "donor_count": donors,
        "leaderboard": board,
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


def top_teams(teams: list[TeamModel], limit: int = 20) -> list[dict[str, Any]]:
    totals = store.team_totals(teams)
    rows = [_summary(t, *totals[t.team_id]) for t in teams]
    rows.sort(key=lambda r: (-r["amount_fen"], r["created_at"]))
    return rows[:limit]


def project_top_teams(project_id: str) -> list[dict[str, Any]]:
    if find_project(project_id) is None:
        raise NotFound(f"no project {project_id}", code="project_not_found")
    return top_teams(store.teams_of_project(project_id))


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
