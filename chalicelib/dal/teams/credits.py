"""Counting a gift to a team or an enterprise once, and taking it back once on refund.

The credit entry (``attribute_not_exists``) goes in the same transaction as the member's
item and a random shard of the group's counter, so a replay changes nothing. The counter
also counts donors exactly: a credit that takes a member from 0 to more adds one (its
transaction is conditioned on the member having nothing yet), a refund that takes them
back to 0 removes one (conditioned on the member having exactly the refunded amount);
when the member changed since it was read, the transaction is tried the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.conditions import cancellation_codes, condition_failed, transaction_conflict
from chalicelib.dal.teams.models import GiftCreditModel, TeamCounterModel, TeamMemberModel
from chalicelib.dal.transactions import connection_for

MAX_TRIES = 12


class CreditContention(RuntimeError):
    """The member kept changing under the credit (the stream retries the record)."""


@dataclass(frozen=True)
class GroupTotals:
    amount_fen: int = 0
    donation_count: int = 0
    donor_count: int = 0
    changes: int = 0  # grows with every credit and refund: orders snapshots of the sum


def member_item(group_id: str, member_key: str) -> TeamMemberModel:
    return TeamMemberModel(group_id=TeamMemberModel.partition(group_id, member_key), member_key=member_key)


def find_member(group_id: str, member_key: str) -> TeamMemberModel | None:
    try:
        return TeamMemberModel.get(TeamMemberModel.partition(group_id, member_key), member_key, consistent_read=True)
    except TeamMemberModel.DoesNotExist:
        return None


def _member_amount(group_id: str, member_key: str) -> int:
    member = find_member(group_id, member_key)
    return int(member.amount_fen or 0) if member else 0


def _retry_other_way(exc: TransactWriteError, member_index: int) -> bool | None:
    """None: the credit entry's condition failed (done before); True: the member changed
    since it was read (or a race), try again; raises anything else."""
    codes = cancellation_codes(exc)
    if codes[:1] == ["ConditionalCheckFailed"]:
        return None
    if len(codes) > member_index and codes[member_index] == "ConditionalCheckFailed":
        return True
    if transaction_conflict(exc):
        return True
    raise exc


def credit_gift(credit: GiftCreditModel, *, donor_name: str | None, anonymous: bool) -> bool:
    """Count a gift to a group once: False when it was already credited (or voided)."""
    amount = int(credit.amount_fen)
    first = _member_amount(credit.group_id, credit.member_key) <= 0
    for _ in range(MAX_TRIES):
        member = TeamMemberModel
        actions: list[Any] = [
            member.amount_fen.add(amount),
            member.donation_count.add(1),
            member.changes.add(1),
            member.anonymous.set(1 if anonymous else 0),
        ]
        if donor_name:
            actions.append(member.donor_name.set(donor_name))
        condition = (member.member_key.does_not_exist() | (member.amount_fen <= 0)) if first else member.amount_fen > 0
        try:
            with TransactWrite(connection=connection_for(GiftCreditModel)) as tx:
                tx.save(credit, condition=GiftCreditModel.credit_key.does_not_exist())
                tx.update(member_item(credit.group_id, credit.member_key), actions=actions, condition=condition)
                if credit.counter_key:
                    tx.update(TeamCounterModel(counter_key=credit.counter_key), actions=_counter(amount, 1, first))
        except TransactWriteError as exc:
            again = _retry_other_way(exc, 1)
            if again is None:
                return False
            first = _member_amount(credit.group_id, credit.member_key) <= 0
            continue
        return True
    raise CreditContention(credit.credit_key)


def _counter(amount: int, gifts: int, donor_changes: bool) -> list[Any]:
    counter = TeamCounterModel
    actions = [counter.amount_fen.add(amount), counter.donation_count.add(gifts), counter.changes.add(1)]
    if donor_changes:
        actions.append(counter.donor_count.add(gifts))
    return actions


def _void(credit_key: str) -> GiftCreditModel | None:
    """A gift refunded before it was credited gets a ``void`` entry (None); or the entry found."""
    try:
        GiftCreditModel(credit_key=credit_key, group_id="", member_key="", amount_fen=0, status="void").save(
            condition=GiftCreditModel.credit_key.does_not_exist()
        )
        return None
    except PutError as exc:
        if not condition_failed(exc):
            raise
    return GiftCreditModel.get(credit_key, consistent_read=True)


def uncredit_gift(credit_key: str) -> str:
    """A refunded gift leaves its group once; a gift never credited gets a ``void`` entry."""
    try:
        credit: GiftCreditModel | None = GiftCreditModel.get(credit_key, consistent_read=True)
    except GiftCreditModel.DoesNotExist:
        credit = _void(credit_key)
    if credit is None:
        return "voided"
    if credit.status != "credited":
        return f"already_{credit.status}"
    amount = int(credit.amount_fen)
    for _ in range(MAX_TRIES):
        last = _member_amount(credit.group_id, credit.member_key) == amount
        member = TeamMemberModel
        condition = member.amount_fen == amount if last else member.amount_fen != amount
        try:
            with TransactWrite(connection=connection_for(GiftCreditModel)) as tx:
                tx.update(
                    GiftCreditModel(credit_key=credit_key),
                    actions=[GiftCreditModel.status.set("refunded")],
                    condition=GiftCreditModel.status == "credited",
                )
                tx.update(
                    member_item(credit.group_id, credit.member_key),
                    actions=[member.amount_fen.add(-amount), member.donation_count.add(-1), member.changes.add(1)],
                    condition=condition,
                )
                if credit.counter_key:
                    tx.update(TeamCounterModel(counter_key=credit.counter_key), actions=_counter(-amount, -1, last))
        except TransactWriteError as exc:
            if _retry_other_way(exc, 1) is None:
                return "already_refunded"
            continue
        return "refunded"
    raise CreditContention(credit_key)


def group_totals(counter_keys: dict[str, list[str]]) -> dict[str, GroupTotals]:
    """Per group, the sum of its counter shards (BatchGetItem); ``counter_keys``: group -> keys."""
    owner = {key: group for group, keys in counter_keys.items() for key in keys}
    sums: dict[str, list[int]] = {group: [0, 0, 0, 0] for group in counter_keys}
    keys = list(owner)
    for start in range(0, len(keys), 100):
        for item in TeamCounterModel.batch_get(keys[start : start + 100], consistent_read=True):
            total = sums[owner[item.counter_key]]
            total[0] += int(item.amount_fen or 0)
            total[1] += int(item.donation_count or 0)
            total[2] += int(item.donor_count or 0)
            total[3] += int(item.changes or 0)
    return {group: GroupTotals(*values) for group, values in sums.items()}
