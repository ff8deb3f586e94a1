"""Inclusion and consistency proofs (RFC 9162 2.1.3 and 2.1.4) from stored subtree hashes.

Each proof reads the tree's size (one item), the entry (one item) and its
O(log n) nodes in one BatchGetItem.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.dal import ledger as store
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.logic.ledger import merkle


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    event_id: str
    entry: str
    audit_path: list[str]


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[str]


def _committed_size() -> int:
    return store.tree_state().size


def _hashes(ranges: list[merkle.Range]) -> list[str]:
    nodes = store.read_nodes(merkle.proof_nodes(ranges))
    return [merkle.range_hash(start, end, nodes).hex() for start, end in ranges]


def inclusion(entry_ref: str, size: int) -> InclusionProof:
    """``entry_ref`` is an event id (``donation:<id>:paid``) or a leaf index."""
    committed = _committed_size()
    if not 0 < size <= committed:
        raise ValidationFailed(f"size must be between 1 and {committed}", code="bad_tree_size")
    index = int(entry_ref) if entry_ref.isdigit() else store.leaf_of_event(entry_ref)
    if index is None or index >= committed:
        raise NotFound(f"no ledger entry {entry_ref}", code="entry_not_found")
    if index >= size:
        raise ValidationFailed(
            f"entry {entry_ref} is at leaf {index}, outside a tree of size {size}", code="bad_tree_size"
        )
    entry = store.entry_at(index)
    if entry is None:
        raise NotFound(f"no ledger entry {entry_ref}", code="entry_not_found")
    return InclusionProof(
        leaf_index=index,
        tree_size=size,
        event_id=entry.event_id,
        entry=entry.entry,
        audit_path=_hashes(merkle.inclusion_ranges(index, size)),
    )


def consistency(first: int, second: int) -> ConsistencyProof:
    committed = _committed_size()
    if not 0 < first <= second <= committed:
        raise ValidationFailed(f"need 0 < first <= second <= {committed}", code="bad_tree_size")
    return ConsistencyProof(first=first, second=second, proof=_hashes(merkle.consistency_ranges(first, second)))
