"""一起捐 teams and 爱心企业 enterprises: pages, members, and gift credits.

A team's total is sharded like project counters (``team_id#shard``); each member's
giving is one item per (team, member) (one donor is never a hot key). A gift is
credited to a team or an enterprise member once: the credit entry
(``team#<donation>`` / ``enterprise#<donation>``) is put with ``attribute_not_exists``
in the same transaction that adds to the counters, and a refund flips it once.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import cancellation_codes, condition_failed
from chalicelib.dal.transactions import connection_for


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
    table_suffix = "team-counters"

    class Meta:
        table_name = "unbound"

    counter_key = UnicodeAttribute(hash_key=True)  # f"{team_id}#{shard}"
    amount_fen = NumberAttribute(default=0)
    donation_count = NumberAttribute(default=0)

    @staticmethod
    def key(team_id: str, shard: int) -> str:
        return f"{team_id}#{int(shard)}"


class TeamMemberModel(GongyiModel):
    """One donor's giving through one team, or one employee's giving for one enterprise
    (``group_id`` = ``team#<id>`` / ``enterprise#<id>``)."""

    table_suffix = "team-members"

    class Meta:
        table_name = "unbound"

    group_id = UnicodeAttribute(hash_key=True)
    member_key = UnicodeAttribute(range_key=True)
    donor_name = UnicodeAttribute(null=True)
    anonymous = NumberAttribute(default=0)
    amount_fen = NumberAttribute(default=0)
    donation_count = NumberAttribute(default=0)


class GiftCreditModel(GongyiModel):
    table_suffix = "team-credits"

    class Meta:
        table_name = "unbound"

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


def teams_of_project(project_id: str, limit: int = 200) -> list[TeamModel]:
    return list(TeamModel.by_project.query(project_id, limit=limit))


def teams_of_enterprise(enterprise_id: str, limit: int = 200) -> list[TeamModel]:
    return list(TeamModel.by_enterprise.query(enterprise_id, limit=limit))


def team_totals(teams: list[TeamModel]) -> dict[str, tuple[int, int]]:
    """(amount, donations) per team: the sum of its shards (BatchGetItem)."""
    keys = [TeamCounterModel.key(t.team_id, s) for t in teams for s in range(int(t.counter_shards))]
    found = {t.team_id: (0, 0) for t in teams}
    for item in TeamCounterModel.batch_get(keys, consistent_read=True) if keys else []:
        team_id = item.counter_key.rsplit("#", 1)[0]
        amount, count = found[team_id]
        found[team_id] = (amount + int(item.amount_fen or 0), count + int(item.donation_count or 0))
    return found


def members_of(group_id: str, limit: int = 1000) -> list[TeamMemberModel]:
    return list(TeamMemberModel.query(group_id, limit=limit))


def credit_gift(credit: GiftCreditModel, *, donor_name: str | None, anonymous: bool) -> bool:
    """Count a gift to a group once: False when it was already credited (or voided)."""
    amount = int(credit.amount_fen)
    try:
        with TransactWrite(connection=connection_for(GiftCreditModel)) as tx:
            tx.save(credit, condition=GiftCreditModel.credit_key.does_not_exist())
            if credit.counter_key:
                tx.update(
                    TeamCounterModel(counter_key=credit.counter_key),
                    actions=[TeamCounterModel.amount_fen.add(amount), TeamCounterModel.donation_count.add(1)],
                )
            actions: list[Any] = [
                TeamMemberModel.amount_fen.add(amount),
                TeamMemberModel.donation_count.add(1),
                TeamMemberModel.anonymous.set(1 if anonymous else 0),
            ]
            if donor_name:
                actions.append(TeamMemberModel.donor_name.set(donor_name))
            tx.update(TeamMemberModel(group_id=credit.group_id, member_key=credit.member_key), actions=actions)
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def uncredit_gift(credit_key: str) -> str:
    """A refunded gift leaves its group once; a gift never credited gets a ``void`` entry."""
    try:
        credit = GiftCreditModel.get(credit_key, consistent_read=True)
    except GiftCreditModel.DoesNotExist:
        try:
            GiftCreditModel(credit_key=credit_key, group_id="", member_key="", amount_fen=0, status="void").save(
                condition=GiftCreditModel.credit_key.does_not_exist()
            )
            return "voided"
        except PutError as exc:
            if not condition_failed(exc):
                raise
            credit = GiftCreditModel.get(credit_key, consistent_read=True)
    if credit.status != "credited":
        return f"already_{credit.status}"
    amount = int(credit.amount_fen)
    try:
        with TransactWrite(connection=connection_for(GiftCreditModel)) as tx:
            tx.update(
                GiftCreditModel(credit_key=credit_key),
                actions=[GiftCreditModel.status.set("refunded")],
                condition=GiftCreditModel.status == "credited",
            )
            if credit.counter_key:
                tx.update(
                    TeamCounterModel(counter_key=credit.counter_key),
                    actions=[TeamCounterModel.amount_fen.add(-amount), TeamCounterModel.donation_count.add(-1)],
                )
            tx.update(
                TeamMemberModel(group_id=credit.group_id, member_key=credit.member_key),
                actions=[TeamMemberModel.amount_fen.add(-amount), TeamMemberModel.donation_count.add(-1)],
            )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            return "already_refunded"
        raise
    return "refunded"


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
