"""RFC 9162 hashing over stored subtrees, against a naive MTH and hand-computed trees,
with proofs checked by the standalone verifier (scripts/verify_ledger.py)."""

from __future__ import annotations

import hashlib

import pytest

from chalicelib.logic.ledger import merkle
from scripts import verify_ledger


def naive_mth(entries: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, literally."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:])).digest()


def build(entries: list[bytes]) -> tuple[dict[merkle.NodeKey, bytes], dict[int, bytes]]:
    nodes: dict[merkle.NodeKey, bytes] = {}
    peaks: dict[int, bytes] = {}
    for size, entry in enumerate(entries):  # one at a time; see test_batches_agree_with_one_by_one
        new, peaks = merkle.append_leaves(size, peaks, [merkle.leaf_hash(entry)])
        nodes.update(new)
    return nodes, peaks


ENTRIES = [f"entry-{i}".encode() for i in range(33)]


def test_three_leaf_tree_by_hand() -> None:
    # Given d0, d1, d2: MTH = H(1 || H(1 || H(0||d0) || H(0||d1)) || H(0||d2))
    a, b, c = (hashlib.sha256(b"\x00" + d).digest() for d in (b"d0", b"d1", b"d2"))
    ab = hashlib.sha256(b"\x01" + a + b).digest()
    expected = hashlib.sha256(b"\x01" + ab + c).digest()
    nodes, peaks = build([b"d0", b"d1", b"d2"])
    assert merkle.root_from_peaks(3, peaks) == expected
    assert merkle.range_hash(0, 3, nodes) == expected
    # The audit path of d2 is [MTH(d0,d1)], of d0 is [b, c] (RFC 9162 2.1.5 example shape).
    assert [merkle.range_hash(s, e, nodes) for s, e in merkle.inclusion_ranges(2, 3)] == [ab]
    assert [merkle.range_hash(s, e, nodes) for s, e in merkle.inclusion_ranges(0, 3)] == [b, c]


def test_rfc_example_consistency_shape() -> None:
    # RFC 9162 2.1.5: the consistency proof between sizes 3 and 7 is [c, d, g, l],
    # i.e. leaf 2, leaf 3, D[0:2] and D[4:7].
    assert merkle.consistency_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert merkle.consistency_ranges(4, 7) == [(4, 7)]
    assert merkle.consistency_ranges(6, 7) == [(4, 6), (6, 7), (0, 4)]


def test_roots_match_naive_mth_for_every_size() -> None:
    nodes, _ = build(ENTRIES)
    for n in range(1, len(ENTRIES) + 1):
        _, peaks = build(ENTRIES[:n])
        assert merkle.root_from_peaks(n, peaks) == naive_mth(ENTRIES[:n]) == merkle.range_hash(0, n, nodes)


def test_batches_agree_with_one_by_one() -> None:
    one_by_one, peaks_one = build(ENTRIES)
    nodes: dict[merkle.NodeKey, bytes] = {}
    peaks: dict[int, bytes] = {}
    size = 0
    for chunk in (ENTRIES[:5], ENTRIES[5:6], ENTRIES[6:20], ENTRIES[20:]):
        new, peaks = merkle.append_leaves(size, peaks, [merkle.leaf_hash(e) for e in chunk])
        nodes.update(new)
        size += len(chunk)
    assert nodes == one_by_one and peaks == peaks_one


def test_every_inclusion_and_consistency_proof_verifies() -> None:
    nodes, _ = build(ENTRIES)
    for n in range(1, 20):
        root = naive_mth(ENTRIES[:n])
        for m in range(n):
            path = [merkle.range_hash(s, e, nodes) for s, e in merkle.inclusion_ranges(m, n)]
            verify_ledger.verify_inclusion(ENTRIES[m], m, n, path, root)
            with pytest.raises(verify_ledger.VerificationError):
                verify_ledger.verify_inclusion(ENTRIES[m] + b"x", m, n, path, root)
        for first in range(1, n + 1):
            proof = [merkle.range_hash(s, e, nodes) for s, e in merkle.consistency_ranges(first, n)]
            verify_ledger.verify_consistency(first, n, naive_mth(ENTRIES[:first]), root, proof)
            if first < n:
                forged = naive_mth([b"rewritten", *ENTRIES[1:first]])
                with pytest.raises(verify_ledger.VerificationError):
                    verify_ledger.verify_consistency(first, n, forged, root, proof)


def test_a_proof_reads_logarithmically_many_nodes() -> None:
    n = 1_000_000
    worst = max(
        len(merkle.proof_nodes(merkle.inclusion_ranges(m, n))) for m in (0, 1, n // 2, n - 2, n - 1, 524_287, 999_999)
    )
    assert worst <= 2 * n.bit_length()
