"""Append money events to the ledger: one sequencer at a time (a lease), in batches, idempotently.

An event is in the ledger iff its guard's leaf index is below the tree's size.
A replayed stream record finds its event there and adds nothing; a sequencer
that died after writing entries but before advancing the tree left guards past
the size, which the next one overwrites.
"""

from __future__ import annotations

import time
from datetime import timedelta

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import ledger as store
from chalicelib.errors import Conflict
from chalicelib.ids import new_id
from chalicelib.logic.ledger import merkle
from chalicelib.logic.ledger.events import LedgerEvent

LEASE_SECONDS = 60
LEASE_ATTEMPTS = 20
LEASE_WAIT_SECONDS = 0.25


class LedgerBusy(Conflict):
    code = "ledger_busy"


def sequence(events: list[LedgerEvent]) -> int:
    """Append the events not yet in the ledger, in order; returns how many were appended."""
    unique = list({e.event_id: e for e in events}.values())
    if not unique:
        return 0
    holder = new_id()
    for _attempt in range(LEASE_ATTEMPTS):
        now = utcnow()
        if store.acquire_lease(holder, until=to_iso(now + timedelta(seconds=LEASE_SECONDS)), now=to_iso(now)):
            break
        time.sleep(LEASE_WAIT_SECONDS)
    else:
        raise LedgerBusy("another sequencer holds the ledger; the batch will be retried")
    try:
        state = store.tree_state()
        guards = store.sequenced_indexes([e.event_id for e in unique])
        fresh = [e for e in unique if guards.get(e.event_id, state.size) >= state.size]
        if not fresh:
            return 0
        texts = [(e.event_id, e.text()) for e in fresh]
        nodes, peaks = merkle.append_leaves(
            state.size, state.peaks, [merkle.leaf_hash(text.encode()) for _, text in texts]
        )
        store.append(state, texts, nodes, peaks)
        return len(fresh)
    finally:
        store.release_lease(holder)
