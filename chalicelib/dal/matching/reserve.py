"""Reserving a gift's match (one transaction), returning it on refund (the mirror
transaction, once), moving per-project cap between shards, and project match totals."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.conditions import cancellation_codes, condition_failed, transaction_conflict
from chalicelib.dal.matching.models import MatchBudgetModel, MatchCapModel, MatchModel, MatchTotalsModel
from chalicelib.dal.transactions import connection_for


@dataclass(frozen=True)
class CapUse:
    """A cap counter a match draws on: ``left`` is what was read (None: the item does not exist
    yet and starts at ``allowance``)."""

    cap_key: str
    left: int | None
    allowance: int

    @property
    def available(self) -> int:
        return self.allowance if self.left is None else self.left


def read_caps(keys: list[str]) -> dict[str, int]:
    """``left_fen`` of the cap items that exist (one BatchGetItem)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    return {c.cap_key: int(c.left_fen) for c in MatchCapModel.batch_get(keys, consistent_read=True)}


def _draw(tx: TransactWrite, cap: CapUse, amount: int) -> None:
    item = MatchCapModel(cap_key=cap.cap_key)
    if cap.left is None:
        tx.update(
            item,
            actions=[MatchCapModel.left_fen.set(cap.allowance - amount)],
            condition=MatchCapModel.cap_key.does_not_exist(),
        )
    else:
        # Never below zero; a concurrent draw that left less makes this one re-read and recompute.
        tx.update(item, actions=[MatchCapModel.left_fen.add(-amount)], condition=MatchCapModel.left_fen >= amount)


class Reserve:
    DONE = "done"  # committed
    ALREADY = "already"  # the gift already has a match entry (replay, or voided)
    BUDGET = "budget"  # the budget shard has less than the amount
    CAPS = "caps"  # a cap counter changed since it was read
    CONFLICT = "conflict"  # lost a race with another transaction; retry


def reserve_match(match: MatchModel, *, caps: list[CapUse], donation_shard: int) -> str:
    """Try the reserving transaction; returns one of ``Reserve``'s values."""
    amount = int(match.amount_fen)
    order: list[str] = []
    try:
        with TransactWrite(connection=connection_for(MatchModel)) as tx:
            order.append(Reserve.ALREADY)
            tx.save(match, condition=MatchModel.donation_id.does_not_exist())
            order.append(Reserve.BUDGET)
            tx.update(
                MatchBudgetModel(shard_key=MatchBudgetModel.key(str(match.pool_id), int(match.shard or 0))),
                actions=[
                    MatchBudgetModel.left_fen.add(-amount),
                    MatchBudgetModel.matched_fen.add(amount),
                    MatchBudgetModel.match_count.add(1),
                ],
                condition=MatchBudgetModel.left_fen >= amount,
            )
            for cap in caps:
                order.append(Reserve.CAPS)
                _draw(tx, cap, amount)
            order.append(Reserve.CONFLICT)
            tx.update(
                MatchTotalsModel(counter_key=MatchTotalsModel.key(match.project_id, donation_shard)),
                actions=[MatchTotalsModel.matched_fen.add(amount), MatchTotalsModel.match_count.add(1)],
            )
    except TransactWriteError as exc:
        return _why(exc, order)
    return Reserve.DONE


def _why(exc: TransactWriteError, order: list[str]) -> str:
    codes = cancellation_codes(exc)
    failed = {order[i] for i, code in enumerate(codes) if code == "ConditionalCheckFailed" and i < len(order)}
    for reason in (Reserve.ALREADY, Reserve.BUDGET, Reserve.CAPS):
        if reason in failed:
            return reason
    if transaction_conflict(exc) or not codes:
        return Reserve.CONFLICT
    raise exc


def void_unmatched(donation_id: str, project_id: str, at: str) -> bool:
    """Mark a gift as never to be matched (it was refunded before its match): a later replay
    of its payment finds the entry and matches nothing. False when it already has an entry."""
    try:
        MatchModel(
            donation_id=donation_id,
            project_id=project_id,
            totals_shard=0,
            gift_fen=0,
            amount_fen=0,
            status="void",
            matched_at=at,
        ).save(condition=MatchModel.donation_id.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def find_match(donation_id: str) -> MatchModel | None:
    try:
        return MatchModel.get(donation_id, consistent_read=True)
    except MatchModel.DoesNotExist:
        return None


def return_match(match: MatchModel, at: str) -> bool:
    """matched -> returned: the amount goes back to its budget shard and caps, the totals
    shard goes down. False when the entry is no longer ``matched`` (already returned)."""
    amount = int(match.amount_fen)
    try:
        with TransactWrite(connection=connection_for(MatchModel)) as tx:
            tx.update(
                MatchModel(donation_id=match.donation_id),
                actions=[MatchModel.status.set("returned"), MatchModel.returned_at.set(at)],
                condition=MatchModel.status == "matched",
            )
            tx.update(
                MatchBudgetModel(shard_key=MatchBudgetModel.key(str(match.pool_id), int(match.shard or 0))),
                actions=[
                    MatchBudgetModel.left_fen.add(amount),
                    MatchBudgetModel.matched_fen.add(-amount),
                    MatchBudgetModel.match_count.add(-1),
                ],
            )
            for key in (match.donor_cap_key, match.project_cap_key):
                if key:
                    tx.update(MatchCapModel(cap_key=key), actions=[MatchCapModel.left_fen.add(amount)])
            tx.update(
                MatchTotalsModel(counter_key=MatchTotalsModel.key(match.project_id, int(match.totals_shard))),
                actions=[MatchTotalsModel.matched_fen.add(-amount), MatchTotalsModel.match_count.add(-1)],
            )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def move_cap(source: CapUse, target: CapUse, amount: int) -> bool:
    """Move ``amount`` of a per-project cap from one shard to another (each conditioned on
    what was read, or on not existing yet)."""
    try:
        with TransactWrite(connection=connection_for(MatchCapModel)) as tx:
            _draw(tx, source, amount)
            _draw(tx, target, -amount)
    except TransactWriteError as exc:
        if condition_failed(exc) or transaction_conflict(exc):
            return False
        raise
    return True


def matched_amounts(donation_ids: list[str]) -> dict[str, int]:
    """What is matched to each of these gifts now (returned matches count 0), BatchGetItem
    per 100 ids."""
    ids = list(dict.fromkeys(donation_ids))
    found: dict[str, int] = {}
    for start in range(0, len(ids), 100):
        for match in MatchModel.batch_get(ids[start : start + 100]):
            if match.status == "matched":
                found[match.donation_id] = int(match.amount_fen)
    return found


def matched_totals(project_ids: list[str], shards: dict[str, int]) -> dict[str, tuple[int, int]]:
    """(matched fen, matches) per project: the sum of its shards (one BatchGetItem)."""
    keys = [MatchTotalsModel.key(p, s) for p in project_ids for s in range(shards.get(p, 1))]
    found: dict[str, tuple[int, int]] = {p: (0, 0) for p in project_ids}
    for item in MatchTotalsModel.batch_get(keys, consistent_read=True) if keys else []:
        project_id = item.counter_key.rsplit("#", 1)[0]
        fen, count = found[project_id]
        found[project_id] = (fen + int(item.matched_fen or 0), count + int(item.match_count or 0))
    return found
