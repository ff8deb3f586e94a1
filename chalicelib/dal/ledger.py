"""The public ledger's storage: entries, the event guard, complete-subtree hashes, state and heads.

Every key is written once per leaf or per node (``leaf_index``, ``event_id``,
``level/index``), spread over partitions; the single ``tree`` and ``lease``
items are written once per sequenced *batch*, not per event. A proof reads its
O(log n) nodes with one BatchGetItem.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.errors import Conflict

NodeKey = tuple[int, int]


class LedgerEntryModel(GongyiModel):
    table_suffix = "ledger-entries"

    class Meta:
        table_name = "unbound"

    leaf_index = NumberAttribute(hash_key=True)
    event_id = UnicodeAttribute()
    entry = UnicodeAttribute()  # canonical JSON, exactly the bytes hashed into the leaf


class LedgerEventModel(GongyiModel):
    """event id -> leaf index. An event counts as sequenced only if its index < the tree's size
    (a crash between writing entries and advancing the tree leaves guards that are simply redone)."""

    table_suffix = "ledger-events"

    class Meta:
        table_name = "unbound"

    event_id = UnicodeAttribute(hash_key=True)
    leaf_index = NumberAttribute()


class LedgerNodeModel(GongyiModel):
    table_suffix = "ledger-nodes"

    class Meta:
        table_name = "unbound"

    node_key = UnicodeAttribute(hash_key=True)  # f"{level}/{index}"
    digest = UnicodeAttribute()  # hex SHA-256

    @staticmethod
    def key_of(level: int, index: int) -> str:
        return f"{level}/{index}"


class LedgerStateModel(GongyiModel):
    """``tree``: size and peaks; ``lease``: the one sequencer at a time; ``head``: the latest signed head."""

    table_suffix = "ledger-state"

    class Meta:
        table_name = "unbound"

    name = UnicodeAttribute(hash_key=True)
    size = NumberAttribute(null=True)
    peaks = UnicodeAttribute(null=True)  # JSON {level: hex}, at most log2(size) entries
    holder = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    root_hash = UnicodeAttribute(null=True)
    timestamp = UnicodeAttribute(null=True)
    signature = UnicodeAttribute(null=True)


class LedgerHeadModel(GongyiModel):
    """Every signed tree head ever published, by size (a head is never rewritten)."""

    table_suffix = "ledger-heads"

    class Meta:
        table_name = "unbound"

    tree_size = NumberAttribute(hash_key=True)
    root_hash = UnicodeAttribute()
    timestamp = UnicodeAttribute()
    signature = UnicodeAttribute()


@dataclass(frozen=True)
class TreeState:
    size: int
    peaks: dict[int, bytes]


@dataclass(frozen=True)
class StoredHead:
    tree_size: int
    root_hash: str
    timestamp: str
    signature: str


# -- the lease ---------------------------------------------------------------------------------


def acquire_lease(holder: str, *, until: str, now: str) -> bool:
    lease = LedgerStateModel("lease", holder=holder, lease_until=until)
    try:
        lease.save(condition=LedgerStateModel.name.does_not_exist() | (LedgerStateModel.lease_until < now))
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def release_lease(holder: str) -> None:
    # A lost release only delays the next batch until the lease ends.
    with contextlib.suppress(Exception):
        LedgerStateModel("lease").delete(condition=LedgerStateModel.holder == holder)


# -- the tree ----------------------------------------------------------------------------------


def tree_state() -> TreeState:
    try:
        item = LedgerStateModel.get("tree", consistent_read=True)
    except LedgerStateModel.DoesNotExist:
        return TreeState(0, {})
    peaks = {int(level): bytes.fromhex(h) for level, h in json.loads(item.peaks or "{}").items()}
    return TreeState(int(item.size or 0), peaks)


def sequenced_indexes(event_ids: list[str]) -> dict[str, int]:
    """Leaf index of each event id that has a guard (committed or not: compare with the size)."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(event_ids))
    for start in range(0, len(unique), 100):
        for item in LedgerEventModel.batch_get(unique[start : start + 100], consistent_read=True):
            found[item.event_id] = int(item.leaf_index)
    return found


def append(
    old: TreeState, entries: list[tuple[str, str]], nodes: dict[NodeKey, bytes], peaks: dict[int, bytes]
) -> None:
    """Write entries (event_id, text) at leaves old.size.., their guards and new nodes, then advance
    the tree; ``Conflict`` if the tree moved (another sequencer: the lease was lost)."""
    with LedgerEntryModel.batch_write() as batch:
        for offset, (event_id, text) in enumerate(entries):
            batch.save(LedgerEntryModel(old.size + offset, event_id=event_id, entry=text))
    with LedgerEventModel.batch_write() as batch:
        for offset, (event_id, _text) in enumerate(entries):
            batch.save(LedgerEventModel(event_id, leaf_index=old.size + offset))
    with LedgerNodeModel.batch_write() as batch:
        for (level, index), digest in nodes.items():
            batch.save(LedgerNodeModel(LedgerNodeModel.key_of(level, index), digest=digest.hex()))
    new_size = old.size + len(entries)
    tree = LedgerStateModel("tree")
    condition = LedgerStateModel.name.does_not_exist() if old.size == 0 else LedgerStateModel.size == old.size
    try:
        tree.update(
            actions=[
                LedgerStateModel.size.set(new_size),
                LedgerStateModel.peaks.set(json.dumps({str(k): v.hex() for k, v in sorted(peaks.items())})),
            ],
            condition=condition,
        )
    except UpdateError as exc:
        if condition_failed(exc):
            raise Conflict("the ledger moved under this sequencer", code="ledger_moved") from exc
        raise


def read_nodes(keys: set[NodeKey]) -> dict[NodeKey, bytes]:
    """The stored hashes of ``keys`` (BatchGetItem, 100 keys per request)."""
    wanted = [LedgerNodeModel.key_of(level, index) for level, index in sorted(keys)]
    found: dict[NodeKey, bytes] = {}
    for start in range(0, len(wanted), 100):
        for item in LedgerNodeModel.batch_get(wanted[start : start + 100]):
            level, index = item.node_key.split("/")
            found[(int(level), int(index))] = bytes.fromhex(item.digest)
    return found


def entry_at(leaf_index: int) -> LedgerEntryModel | None:
    try:
        return LedgerEntryModel.get(leaf_index)
    except LedgerEntryModel.DoesNotExist:
        return None


def leaf_of_event(event_id: str) -> int | None:
    try:
        return int(LedgerEventModel.get(event_id).leaf_index)
    except LedgerEventModel.DoesNotExist:
        return None


# -- heads -------------------------------------------------------------------------------------


def save_head(head: StoredHead) -> None:
    """Store a signed head (once per size) and make it the latest."""
    item = LedgerHeadModel(head.tree_size, root_hash=head.root_hash, timestamp=head.timestamp, signature=head.signature)
    with contextlib.suppress(PutError):
        item.save(condition=LedgerHeadModel.tree_size.does_not_exist())
    LedgerStateModel(
        "head", size=head.tree_size, root_hash=head.root_hash, timestamp=head.timestamp, signature=head.signature
    ).save()


def latest_head() -> StoredHead | None:
    try:
        item = LedgerStateModel.get("head")
    except LedgerStateModel.DoesNotExist:
        return None
    return StoredHead(int(item.size or 0), str(item.root_hash), str(item.timestamp), str(item.signature))


def head_of_size(size: int) -> StoredHead | None:
    try:
        item = LedgerHeadModel.get(size)
    except LedgerHeadModel.DoesNotExist:
        return None
    return StoredHead(int(item.tree_size), item.root_hash, item.timestamp, item.signature)
