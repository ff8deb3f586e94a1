"""一起捐 teams and 爱心企业 enterprises: pages, members, gift credits and leaderboards.

A team's total is sharded like project counters (``team_id#shard``), an enterprise's
members' giving too (``enterprise#<id>#shard``); each member's giving is one item per
(group, member), its partition key sharded by a hash of the member (one team is never
one hot key). A gift is credited once (``credits``); leaderboards are bounded snapshots
kept by a stream consumer (``boards``), never an item every gift writes.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.teams.boards import (
    all_teams_of_enterprise,
    all_teams_of_project,
    find_board,
    members_by_key,
    members_of_group,
    save_board,
    teams_by_id,
)
from chalicelib.dal.teams.credits import (
    CreditContention,
    GroupTotals,
    credit_gift,
    find_member,
    group_totals,
    uncredit_gift,
)
from chalicelib.dal.teams.models import (
    MEMBER_SHARDS,
    BoardModel,
    EnterpriseMemberModel,
    EnterpriseModel,
    GiftCreditModel,
    TeamCounterModel,
    TeamMemberModel,
    TeamModel,
)

__all__ = [
    "MEMBER_SHARDS",
    "AlreadyExists",
    "BoardModel",
    "CreditContention",
    "EnterpriseMemberModel",
    "EnterpriseModel",
    "GiftCreditModel",
    "GroupTotals",
    "TeamCounterModel",
    "TeamMemberModel",
    "TeamModel",
    "all_teams_of_enterprise",
    "all_teams_of_project",
    "approve_enterprise",
    "credit_gift",
    "enterprises_of",
    "find_board",
    "find_enterprise",
    "find_member",
    "find_team",
    "group_totals",
    "is_member",
    "members_by_key",
    "members_of_group",
    "save_board",
    "save_new",
    "teams_by_id",
    "uncredit_gift",
]


class AlreadyExists(Exception):
    pass


def save_new(item: GongyiModel) -> None:
    hash_attr = getattr(type(item), str(item._hash_keyname))
    try:
        item.save(condition=hash_attr.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            raise AlreadyExists() from exc
        raise


def find_team(team_id: str) -> TeamModel | None:
    try:
        return TeamModel.get(team_id, consistent_read=True)
    except TeamModel.DoesNotExist:
        return None


def find_enterprise(enterprise_id: str) -> EnterpriseModel | None:
    try:
        return EnterpriseModel.get(enterprise_id, consistent_read=True)
    except EnterpriseModel.DoesNotExist:
        return None


def approve_enterprise(enterprise_id: str, invite_code: str, at: str) -> bool:
    try:
        EnterpriseModel(enterprise_id=enterprise_id).update(
            actions=[
                EnterpriseModel.status.set("approved"),
                EnterpriseModel.invite_code.set(invite_code),
                EnterpriseModel.updated_at.set(at),
            ],
            condition=EnterpriseModel.status == "pending_review",
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def is_member(enterprise_id: str, sub: str) -> bool:
    try:
        EnterpriseMemberModel.get(enterprise_id, sub)
    except EnterpriseMemberModel.DoesNotExist:
        return False
    return True


def enterprises_of(sub: str) -> list[str]:
    return [m.enterprise_id for m in EnterpriseMemberModel.by_sub.query(sub, limit=20)]
