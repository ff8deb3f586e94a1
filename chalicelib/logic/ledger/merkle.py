"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, over stored subtree hashes.

Section 2.1: ``MTH({}) = SHA-256()``, leaf ``SHA-256(0x00 || d)``, node
``SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` with ``k`` the largest power of
two smaller than ``n``. Every subtree the RFC recursion visits starts at a
multiple of a power of two at least its size, so it decomposes into *complete*
aligned subtrees: ``(level, index)`` covers leaves ``[index * 2**level,
(index + 1) * 2**level)``. The ledger stores exactly those hashes, written once
when they become complete and never changed (the tree only appends), so any
proof for any size reads O(log n) stored nodes: ``proof_nodes`` lists them.

No maintained PyPI library implements RFC 9162 over an external node store
(``pymerkle`` recomputes subroots from its leaves), so this follows the RFC's
algorithms (2.1.1, 2.1.3.1, 2.1.4.1) directly; tests check them against a naive
MTH and hand-computed small trees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

NodeKey = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeKey]:
    """The complete aligned subtrees whose hashes make ``MTH(D[start:end])``, left to right."""
    size = end - start
    if size <= 0:
        raise ValueError("empty range")
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return [(level, start >> level)]
    k = split_point(size)
    return range_nodes(start, start + k) + range_nodes(start + k, end)


def range_hash(start: int, end: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """``MTH(D[start:end])`` from stored complete-subtree hashes."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return nodes[(level, start >> level)]
    k = split_point(size)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 2.1.3.1 ``PATH(m, D[0:n])`` as leaf ranges, from the leaf's sibling up."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")

    def path(m: int, start: int, end: int) -> list[Range]:
        if end - start == 1:
            return []
        k = split_point(end - start)
        if m < k:
            return [*path(m, start, start + k), (start + k, end)]
        return [*path(m - k, start + k, end), (start, start + k)]

    return path(index, 0, size)


def consistency_ranges(first: int, second: int) -> list[Range]:
    """RFC 9162 2.1.4.1 ``PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true)`` as leaf ranges."""
    if not 0 < first <= second:
        raise ValueError("need 0 < first <= second")

    def subproof(m: int, start: int, end: int, whole: bool) -> list[Range]:
        if m == end - start:
            return [] if whole else [(start, end)]
        k = split_point(end - start)
        if m <= k:
            return [*subproof(m, start, start + k, whole), (start + k, end)]
        return [*subproof(m - k, start + k, end, False), (start, start + k)]

    return subproof(first, 0, second, True)


def proof_nodes(ranges: list[Range]) -> set[NodeKey]:
    """Every stored node a proof made of ``ranges`` reads (each once)."""
    return {key for start, end in ranges for key in range_nodes(start, end)}


def append_leaves(
    size: int, peaks: dict[int, bytes], leaves: list[bytes]
) -> tuple[dict[NodeKey, bytes], dict[int, bytes]]:
    """Append leaf hashes to a tree of ``size`` whose unpaired complete subtrees (one per set bit
    of ``size``) are ``peaks`` by level. Returns the newly complete nodes to store and the new peaks."""
    peaks = dict(peaks)
    new_nodes: dict[NodeKey, bytes] = {}
    for offset, digest in enumerate(leaves):
        index = size + offset
        new_nodes[(0, index)] = digest
        level, current = 0, digest
        while (index >> level) & 1:
            current = node_hash(peaks.pop(level), current)
            level += 1
            new_nodes[(level, index >> level)] = current
        peaks[level] = current
    return new_nodes, peaks


def root_from_peaks(size: int, peaks: Mapping[int, bytes]) -> bytes:
    """``MTH`` of the whole tree from its peaks (highest on the left, folded from the right)."""
    if size == 0:
        return EMPTY_ROOT
    levels = sorted(peaks)
    root = peaks[levels[0]]
    for level in levels[1:]:
        root = node_hash(peaks[level], root)
    return root
