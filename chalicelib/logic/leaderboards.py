"""Bounded leaderboards: a team's (or an enterprise's) top members, a project's (or an
enterprise's) top teams.

A leaderboard is a snapshot of at most ``KEEP`` rows, read with one GetItem. It is kept
by the ``team_boards`` consumer of the gift-credits stream: once per group per batch it
reads the current items of the members (or the counter shards of the teams) the batch
touched and merges them in. No gift writes it, and it never grows with the members.

Each row carries its item's ``changes`` count, so a replayed or late record never
overwrites a newer one. ``floor`` is the best row ever cut: whoever is outside the rows
ranks below it (a member's rank only rises through an update, which is merged), so the
rows ranking above it are in their true order. Only a refund can take a kept row below
the floor; when too few rows are left above it, the snapshot is rebuilt from every
member (rare: a refund in the top rows of a group with more than ``KEEP`` members).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import teams as store
from chalicelib.dal.teams import TeamCounterModel, TeamMemberModel, TeamModel

KEEP = 100
SHOWN_MEMBERS = 50
SHOWN_TEAMS = 20
MAX_WRITE_TRIES = 8

# A row: [key, amount_fen, donation_count, changes, donor_name, anonymous]
Row = list[Any]


class BoardContention(RuntimeError):
    """Lost the snapshot's version race too often (the stream retries the record)."""


def _rank(row: Row) -> tuple[int, int, str]:
    return (-int(row[1]), -int(row[2]), str(row[0]))


def merge(rows: list[Row], floor: Row | None, updates: Iterable[Row]) -> tuple[list[Row], Row | None]:
    """``updates`` merged into ``rows`` (newer ``changes`` win), best first, cut to ``KEEP``;
    the floor rises to the best row cut."""
    by_key = {str(r[0]): r for r in rows}
    for update in updates:
        old = by_key.get(str(update[0]))
        if old is None or int(old[3]) < int(update[3]):
            by_key[str(update[0])] = update
    ordered = sorted(by_key.values(), key=_rank)
    kept, cut = ordered[:KEEP], ordered[KEEP:]
    if cut and (floor is None or _rank(cut[0]) < _rank(floor)):
        floor = cut[0]
    return kept, floor


def top_rows(rows: list[Row], floor: Row | None, shown: int) -> list[Row]:
    """The first rows known to be in their true place (ranking above the floor)."""
    sure = rows if floor is None else [r for r in rows if _rank(r) < _rank(floor)]
    return sure[:shown]


def rebuilt(rows: Iterable[Row]) -> tuple[list[Row], Row | None]:
    """A snapshot from every row of a group (memory: ``KEEP`` + 1 rows)."""
    best = heapq.nsmallest(KEEP + 1, rows, key=_rank)
    return best[:KEEP], (best[KEEP] if len(best) > KEEP else None)


def refresh(board_key: str, updates: list[Row], rebuild: Callable[[], Iterable[Row]], shown: int) -> None:
    """Merge ``updates`` into a snapshot (conditioned on its version; re-read on a race)."""
    for _ in range(MAX_WRITE_TRIES):
        rows, floor, version = store.find_board(board_key)
        rows, floor = merge(rows, floor, updates)
        if floor is not None and len(top_rows(rows, floor, shown)) < min(shown, len(rows)):
            rows, floor = rebuilt(rebuild())
        if store.save_board(board_key, rows, floor, version=version, at=to_iso(utcnow())):
            return
    raise BoardContention(board_key)


def member_row(member: TeamMemberModel) -> Row:
    return [
        member.member_key,
        int(member.amount_fen or 0),
        int(member.donation_count or 0),
        int(member.changes or 0),
        member.donor_name,
        int(member.anonymous or 0),
    ]


def refresh_members(group_id: str, member_keys: list[str]) -> None:
    updates = [member_row(m) for m in store.members_by_key(group_id, member_keys)]
    refresh(group_id, updates, lambda: (member_row(m) for m in store.members_of_group(group_id)), SHOWN_MEMBERS)


def team_rows(teams: list[TeamModel]) -> list[Row]:
    keys = {t.team_id: [TeamCounterModel.key(t.team_id, s) for s in range(int(t.counter_shards))] for t in teams}
    totals = store.group_totals(keys)
    return [
        [t.team_id, totals[t.team_id].amount_fen, totals[t.team_id].donation_count, totals[t.team_id].changes, None, 0]
        for t in teams
    ]


def _batched_team_rows(teams: Iterable[TeamModel]) -> Iterable[Row]:
    chunk: list[TeamModel] = []
    for team in teams:
        chunk.append(team)
        if len(chunk) == 12:  # 12 teams x 8 shards fit one BatchGetItem
            yield from team_rows(chunk)
            chunk = []
    if chunk:
        yield from team_rows(chunk)


def project_board(project_id: str) -> str:
    return f"teams:project#{project_id}"


def enterprise_teams_board(enterprise_id: str) -> str:
    return f"teams:enterprise#{enterprise_id}"


def refresh_teams(teams: list[TeamModel]) -> None:
    """Each team's total (the sum of its shards) into its project's and enterprise's boards."""
    rows = {row[0]: row for row in team_rows(teams)}
    boards: dict[str, list[Row]] = {}
    for team in teams:
        boards.setdefault(project_board(team.project_id), []).append(rows[team.team_id])
        if team.enterprise_id:
            boards.setdefault(enterprise_teams_board(team.enterprise_id), []).append(rows[team.team_id])
    for board_key, updates in boards.items():
        refresh(board_key, updates, _every_team_of(board_key), SHOWN_TEAMS)


def _every_team_of(board_key: str) -> Callable[[], Iterable[Row]]:
    kind, owner = board_key.split(":", 1)[1].split("#", 1)
    every = store.all_teams_of_project if kind == "project" else store.all_teams_of_enterprise
    return lambda: _batched_team_rows(every(owner))


def credited_groups(images: Iterable[dict[str, Any] | None]) -> dict[str, list[str]]:
    """Group -> member keys, of the credit entries in a stream batch (void entries skipped)."""
    groups: dict[str, list[str]] = {}
    for image in images:
        if image and image.get("group_id") and image.get("status") in ("credited", "refunded"):
            groups.setdefault(str(image["group_id"]), []).append(str(image["member_key"]))
    return groups


def refresh_group(group_id: str, member_keys: list[str]) -> None:
    """A group's member board, and for a team its place on its project's (and enterprise's) board."""
    refresh_members(group_id, member_keys)
    if group_id.startswith("team#"):
        team = store.find_team(group_id.split("#", 1)[1])
        if team is not None:
            refresh_teams([team])
