"""Crediting the raising node from paid and refunded donations: exactly once per donation event,
one node update per node per chunk (never one write per gift: a viral project's node would be a hot key)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.fundflow.models import FundCreditModel, FundNodeModel
from chalicelib.dal.fundflow.movements import node_key
from chalicelib.dal.transactions import connection_for

MAX_GUARDS_PER_TRANSACTION = 99  # + one node update = DynamoDB's 100 items


@dataclass(frozen=True)
class DonationCredit:
    """A paid (+) or refunded (-) donation to credit to its raising node."""

    kind: str  # paid | refunded
    donation_id: str
    project_id: str
    org_id: str
    amount_fen: int

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.donation_id}"


def credit_donations(credits: Iterable[DonationCredit]) -> int:
    """Credit each donation event to its node exactly once; one node update per node per chunk
    of up to 99 guards. Returns how many were credited now (replays count 0)."""
    by_node: dict[tuple[str, str], list[DonationCredit]] = {}
    for credit in credits:
        by_node.setdefault((credit.project_id, credit.org_id), []).append(credit)
    applied = 0
    for (project_id, org_id), group in by_node.items():
        for start in range(0, len(group), MAX_GUARDS_PER_TRANSACTION):
            chunk = group[start : start + MAX_GUARDS_PER_TRANSACTION]
            try:
                _credit_chunk(project_id, org_id, chunk)
                applied += len(chunk)
            except TransactWriteError as exc:
                if not condition_failed(exc) or len(chunk) == 1:
                    if condition_failed(exc):
                        continue  # this one was credited before: a replay
                    raise
                # Some were credited before (a replayed batch): one at a time, skipping those.
                for credit in chunk:
                    try:
                        _credit_chunk(project_id, org_id, [credit])
                        applied += 1
                    except TransactWriteError as single:
                        if not condition_failed(single):
                            raise
    return applied


def _credit_chunk(project_id: str, org_id: str, chunk: list[DonationCredit]) -> None:
    paid = sum(c.amount_fen for c in chunk if c.kind == "paid")
    refunded = sum(c.amount_fen for c in chunk if c.kind == "refunded")
    with TransactWrite(connection=connection_for(FundNodeModel)) as tx:
        for credit in chunk:
            tx.save(
                FundCreditModel(credit.key, project_id=project_id, amount_fen=credit.amount_fen),
                condition=FundCreditModel.credit_key.does_not_exist(),
            )
        # A refund after the money moved on may take the balance below zero: it blocks
        # further disbursements until covered, and the tree shows the shortfall.
        tx.update(
            node_key(project_id, org_id),
            actions=[
                FundNodeModel.raised_fen.add(paid),
                FundNodeModel.refunded_fen.add(refunded),
                FundNodeModel.balance_fen.add(paid - refunded),
            ],
        )
