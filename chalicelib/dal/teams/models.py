"""The tables of 一起捐 teams and 爱心企业 enterprises (see ``chalicelib.dal.teams``)."""

from __future__ import annotations

import zlib

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel


class TeamsByProject(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_project"
        projection = AllProjection()

    project_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class TeamsByEnterprise(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_enterprise"
        projection = AllProjection()

    enterprise_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class TeamModel(GongyiModel):
    table_suffix = "teams"

    class Meta:
        table_name = "unbound"

    team_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute()
    enterprise_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    story = UnicodeAttribute()
    target_fen = NumberAttribute()
    cover_key = UnicodeAttribute(null=True)
    creator_sub = UnicodeAttribute()
    counter_shards = NumberAttribute()
    created_at = UnicodeAttribute()
    request_digest = UnicodeAttribute(null=True)  # of the creating request (Idempotency-Key retries)

    by_project = TeamsByProject()
    by_enterprise = TeamsByEnterprise()


class TeamCounterModel(GongyiModel):
    """One shard of a group's total: ``team_id#shard`` for a team, ``enterprise#<id>#shard``
    for an enterprise's members' giving."""

    table_suffix = "team-counters"

    class Meta:
        table_name = "unbound"

    counter_key = UnicodeAttribute(hash_key=True)
    amount_fen = NumberAttribute(default=0)
    donation_count = NumberAttribute(default=0)
    donor_count = NumberAttribute(default=0)  # members whose giving went from 0 to > 0, less those back to 0
    changes = NumberAttribute(default=0)  # +1 per credit or refund: orders snapshots of the sum

    @staticmethod
    def key(team_id: str, shard: int) -> str:
        return f"{team_id}#{int(shard)}"

    @staticmethod
    def enterprise_key(enterprise_id: str, shard: int) -> str:
        return f"enterprise#{enterprise_id}#{int(shard)}"


MEMBER_SHARDS = 8


class TeamMemberModel(GongyiModel):
    """One donor's giving through one team, or one employee's giving for one enterprise.

    The partition key is the group (``team#<id>`` / ``enterprise#<id>``) and the member's
    shard, a stable hash of the member key: a team's gifts spread over ``MEMBER_SHARDS``
    partitions, while one member stays one item."""

    table_suffix = "team-members"

    class Meta:
        table_name = "unbound"

    group_id = UnicodeAttribute(hash_key=True)  # f"{group}#{shard}" (see ``key``)
    member_key = UnicodeAttribute(range_key=True)
    donor_name = UnicodeAttribute(null=True)
    anonymous = NumberAttribute(default=0)
    amount_fen = NumberAttribute(default=0)
    donation_count = NumberAttribute(default=0)
    changes = NumberAttribute(default=0)  # +1 per credit or refund: orders leaderboard updates

    @staticmethod
    def partition(group_id: str, member_key: str) -> str:
        return f"{group_id}#{zlib.crc32(member_key.encode()) % MEMBER_SHARDS}"


class GiftCreditModel(GongyiModel):
    """A gift counted to a group, once; its stream feeds the leaderboards (``team_boards``)."""

    table_suffix = "team-credits"

    class Meta:
        table_name = "unbound"
        stream_view_type = "NEW_IMAGE"

    credit_key = UnicodeAttribute(hash_key=True)  # f"{team|enterprise}#{donation_id}"
    group_id = UnicodeAttribute()
    member_key = UnicodeAttribute()
    counter_key = UnicodeAttribute(null=True)
    amount_fen = NumberAttribute()
    status = UnicodeAttribute()  # credited | refunded | void


class EnterprisesByStatus(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class EnterpriseModel(GongyiModel):
    table_suffix = "enterprises"

    class Meta:
        table_name = "unbound"

    enterprise_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    credit_code = UnicodeAttribute()
    contact_name = UnicodeAttribute()
    contact_phone = UnicodeAttribute()
    applicant_sub = UnicodeAttribute()
    status = UnicodeAttribute()  # pending_review | approved
    invite_code = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    request_digest = UnicodeAttribute(null=True)  # of the creating request (Idempotency-Key retries)

    by_status = EnterprisesByStatus()


class MembershipsBySub(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_sub"
        projection = AllProjection()

    sub = UnicodeAttribute(hash_key=True)
    enterprise_id = UnicodeAttribute(range_key=True)


class EnterpriseMemberModel(GongyiModel):
    table_suffix = "enterprise-members"

    class Meta:
        table_name = "unbound"

    enterprise_id = UnicodeAttribute(hash_key=True)
    sub = UnicodeAttribute(range_key=True)
    joined_at = UnicodeAttribute()

    by_sub = MembershipsBySub()


class BoardModel(GongyiModel):
    """A leaderboard snapshot: the top ``rows`` of a group's members (``team#<id>``,
    ``enterprise#<id>``) or of a project's or enterprise's teams (``teams:project#<id>``,
    ``teams:enterprise#<id>``). Bounded (at most ``logic.teams.boards.KEEP`` rows, whatever
    the number of members or teams), written once per group per stream batch, never per gift;
    ``version`` makes concurrent writers re-read and merge again."""

    table_suffix = "team-boards"

    class Meta:
        table_name = "unbound"

    board_key = UnicodeAttribute(hash_key=True)
    rows = UnicodeAttribute(default="[]")  # JSON: the kept rows, best first
    floor = UnicodeAttribute(null=True)  # JSON: the best row ever cut; no one outside ``rows`` ranks above it
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
