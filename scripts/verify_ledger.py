#!/usr/bin/env python3
"""Verify gongyi's public ledger without trusting gongyi's code.

Standard library plus ``cryptography`` only; imports nothing of gongyi. It
fetches over HTTP:

- ``/ledger/heads/latest``: the signed tree head (size, root, time, Ed25519
  signature) and checks the signature with the platform key (pin it with
  ``--public-key``; otherwise ``/ledger/public-key`` is fetched and printed);
- ``/ledger/proofs/inclusion?entry=&size=``: the entry's text and audit path;
  recomputes the leaf hash from the entry text itself (RFC 9162 2.1.3.2);
- ``/ledger/proofs/consistency?first=&second=``: with ``--trusted-head FILE``
  (a head saved earlier, e.g. by ``--save-head``), proves the latest head only
  appended to it (RFC 9162 2.1.4.2).

With ``--heads-url`` (the public S3 location the stack outputs as
``LedgerPublicUrl``, e.g. ``https://gongyi-prod-ledger.s3.cn-north-1.amazonaws.com.cn/ledger/``)
the head is read from ``heads/latest.json`` there (and the key from
``public-key.json`` unless pinned), not from the API; the proofs still come
from ``--base-url``. A head published there that the API's proofs do not
match fails like any other.

Exit status 0 when every check passes, 1 otherwise.

    python scripts/verify_ledger.py --base-url http://127.0.0.1:8000 \
        --entry donation:01J...:paid --trusted-head head.json --save-head head.json
    python scripts/verify_ledger.py --heads-url https://.../ledger/ --public-key <hex>
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Fetch = Callable[[str], Any]
HEAD_CONTEXT = b"gongyi-ledger-head-v1\n"


class VerificationError(Exception):
    pass


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def head_message(size: int, root_hex: str, timestamp: str) -> bytes:
    return HEAD_CONTEXT + f"{size}\n{root_hex}\n{timestamp}\n".encode()


def verify_head(head: dict[str, Any], public_key_hex: str) -> None:
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    message = head_message(int(head["tree_size"]), str(head["root_hash"]), str(head["timestamp"]))
    try:
        key.verify(bytes.fromhex(head["signature"]), message)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError(f"head of size {head['tree_size']}: bad signature") from exc


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(entry: bytes, index: int, size: int, path: list[bytes], root: bytes) -> None:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        raise VerificationError("leaf index outside the tree")
    fn, sn, r = index, size - 1, leaf_hash(entry)
    for p in path:
        if sn == 0:
            raise VerificationError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerificationError("inclusion proof does not lead to the head's root")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> None:
    """RFC 9162 2.1.4.2."""
    if not 0 < first <= second:
        raise VerificationError("need 0 < first <= second")
    if first == second:
        if path or first_root != second_root:
            raise VerificationError("equal sizes with different roots")
        return
    if not path:
        raise VerificationError("empty consistency proof")
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise VerificationError(f"the head of size {second} does not extend the head of size {first}")


def http_fetch(base_url: str) -> Fetch:
    def fetch(path: str) -> Any:
        with urllib.request.urlopen(base_url.rstrip("/") + path, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    return fetch


def check(
    fetch: Fetch | None,
    *,
    public_key_hex: str | None = None,
    entry: str | None = None,
    trusted_head: dict[str, Any] | None = None,
    published: Fetch | None = None,
) -> dict[str, Any]:
    """Run every check the arguments ask for; returns the verified latest head. Raises VerificationError.

    ``fetch`` reads the API (``/ledger/...``); ``published`` reads the public files (``/heads/latest.json``,
    ``/public-key.json``) and, when given, is where the head (and an unpinned key) come from."""
    if fetch is None and (published is None or entry is not None or trusted_head is not None):
        raise VerificationError("proofs are served by the API: give its base URL")
    if published is not None:
        key = public_key_hex or published("/public-key.json")["public_key"]
        head = published("/heads/latest.json")
    else:
        assert fetch is not None
        key = public_key_hex or fetch("/ledger/public-key")["public_key"]
        head = fetch("/ledger/heads/latest")
    verify_head(head, key)
    size, root = int(head["tree_size"]), bytes.fromhex(head["root_hash"])
    if entry is not None and fetch is not None:
        query = urllib.parse.urlencode({"entry": entry, "size": size})
        proof = fetch(f"/ledger/proofs/inclusion?{query}")
        verify_inclusion(
            proof["entry"].encode(),
            int(proof["leaf_index"]),
            size,
            [bytes.fromhex(h) for h in proof["audit_path"]],
            root,
        )
    if trusted_head is not None and fetch is not None:
        verify_head(trusted_head, key)
        first = int(trusted_head["tree_size"])
        if first > size:
            raise VerificationError(f"the latest head ({size}) is smaller than the trusted one ({first})")
        proof = fetch(f"/ledger/proofs/consistency?first={first}&second={size}")
        verify_consistency(
            first, size, bytes.fromhex(trusted_head["root_hash"]), root, [bytes.fromhex(h) for h in proof["proof"]]
        )
    return dict(head)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="gongyi's API (proofs; and the head unless --heads-url)")
    parser.add_argument("--heads-url", help="the public location of signed heads (the stack's LedgerPublicUrl)")
    parser.add_argument("--public-key", help="the platform's Ed25519 public key, hex (pin it)")
    parser.add_argument("--entry", help="an entry to prove included: its event id or leaf index")
    parser.add_argument("--trusted-head", help="a head saved earlier: prove the latest only appended to it")
    parser.add_argument("--save-head", help="write the verified latest head here")
    args = parser.parse_args(argv)
    if not args.base_url and not args.heads_url:
        parser.error("give --base-url, --heads-url or both")
    trusted = None
    if args.trusted_head:
        with open(args.trusted_head, encoding="utf-8") as handle:
            trusted = json.load(handle)
    try:
        head = check(
            http_fetch(args.base_url) if args.base_url else None,
            public_key_hex=args.public_key,
            entry=args.entry,
            trusted_head=trusted,
            published=http_fetch(args.heads_url) if args.heads_url else None,
        )
    except VerificationError as exc:
        print(f"FAILED: {exc}")
        return 1
    if args.save_head:
        with open(args.save_head, "w", encoding="utf-8") as handle:
            json.dump(head, handle)
    print(f"OK: head of size {head['tree_size']} root {head['root_hash']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
