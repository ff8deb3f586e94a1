"""Leaderboard snapshots (``BoardModel``) and the full reads that rebuild one.

A snapshot is read with one GetItem; it is written with a condition on its ``version``,
so two writers never lose each other's rows (the loser re-reads and merges again).
Rebuilding reads every member (or team) of a group, page by page: only the leaderboard
refresher does it, and only when refunds left a snapshot unsure of its top rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.teams.models import MEMBER_SHARDS, BoardModel, TeamMemberModel, TeamModel

Row = list[Any]


def find_board(board_key: str, *, consistent: bool = True) -> tuple[list[Row], Row | None, int]:
    """(rows, floor, version) of a snapshot; an absent one is empty at version 0."""
    try:
        board = BoardModel.get(board_key, consistent_read=consistent)
    except BoardModel.DoesNotExist:
        return [], None, 0
    floor = json.loads(board.floor) if board.floor else None
    return json.loads(board.rows or "[]"), floor, int(board.version or 0)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def save_board(board_key: str, rows: list[Row], floor: Row | None, *, version: int, at: str) -> bool:
    """Write the snapshot if it is still at ``version``; False when another writer was first."""
    item = BoardModel(
        board_key=board_key,
        rows=_json(rows),
        floor=None if floor is None else _json(floor),
        version=version + 1,
        updated_at=at,
    )
    condition = BoardModel.board_key.does_not_exist() if version == 0 else BoardModel.version == version
    try:
        item.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def members_of_group(group_id: str) -> Iterator[TeamMemberModel]:
    """Every member of a group, shard by shard, page by page."""
    for shard in range(MEMBER_SHARDS):
        yield from TeamMemberModel.query(f"{group_id}#{shard}")


def members_by_key(group_id: str, member_keys: list[str]) -> list[TeamMemberModel]:
    """The members named (BatchGetItem, consistent)."""
    keys = [(TeamMemberModel.partition(group_id, k), k) for k in dict.fromkeys(member_keys)]
    found: list[TeamMemberModel] = []
    for start in range(0, len(keys), 100):
        found.extend(TeamMemberModel.batch_get(keys[start : start + 100], consistent_read=True))
    return found


def all_teams_of_project(project_id: str) -> Iterator[TeamModel]:
    yield from TeamModel.by_project.query(project_id)


def all_teams_of_enterprise(enterprise_id: str) -> Iterator[TeamModel]:
    yield from TeamModel.by_enterprise.query(enterprise_id)


def teams_by_id(team_ids: list[str]) -> dict[str, TeamModel]:
    ids = list(dict.fromkeys(team_ids))
    found: dict[str, TeamModel] = {}
    for start in range(0, len(ids), 100):
        found.update({t.team_id: t for t in TeamModel.batch_get(ids[start : start + 100])})
    return found
