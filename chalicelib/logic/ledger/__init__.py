"""The public ledger: RFC 9162 Merkle tree, sequencing, signed heads, proofs."""
