"""Signed tree heads: size, root, time, Ed25519 signature by the platform key.

The signed message is ``b"gongyi-ledger-head-v1\\n" + f"{size}\\n{root_hex}\\n{timestamp}\\n"``
(scripts/verify_ledger.py rebuilds it). Published on a schedule to the public
ledger bucket (``ledger/heads/latest.json``, ``ledger/heads/{size}.json`` and
``ledger/public-key.json``) and served at ``GET /ledger/heads/latest``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import ledger as store
from chalicelib.dal.ledger import StoredHead
from chalicelib.dal.ledger_files import put_head_files
from chalicelib.errors import NotFound
from chalicelib.logic.ledger import merkle
from chalicelib.secrets import get_secret

HEAD_CONTEXT = b"gongyi-ledger-head-v1\n"


def head_message(size: int, root_hex: str, timestamp: str) -> bytes:
    return HEAD_CONTEXT + f"{size}\n{root_hex}\n{timestamp}\n".encode()


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    seed_hex = get_secret(settings, settings.ledger_signing_key_name, local_value=settings.ledger_signing_key)
    if not seed_hex:
        if settings.stage != "local":
            raise RuntimeError("no ledger signing key configured")
        seed_hex = hashlib.sha256(f"gongyi-{settings.stage}-ledger-key".encode()).hexdigest()
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex.strip()))


def public_key_hex(settings: Settings) -> str:
    return signing_key(settings).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def public_key_document(settings: Settings) -> dict[str, str]:
    """What ``GET /ledger/public-key`` and ``ledger/public-key.json`` say."""
    return {"algorithm": "Ed25519", "public_key": public_key_hex(settings)}


def publish_head(settings: Settings) -> StoredHead | None:
    """Sign and publish the current tree if it grew since the latest head; None if it did not."""
    state = store.tree_state()
    latest = store.latest_head()
    if state.size == 0 or (latest is not None and latest.tree_size >= state.size):
        return None
    root_hex = merkle.root_from_peaks(state.size, state.peaks).hex()
    timestamp = to_iso(utcnow())
    signature = signing_key(settings).sign(head_message(state.size, root_hex, timestamp)).hex()
    head = StoredHead(tree_size=state.size, root_hash=root_hex, timestamp=timestamp, signature=signature)
    store.save_head(head)
    body = json.dumps(asdict(head), sort_keys=True).encode()
    key_file = json.dumps(public_key_document(settings), sort_keys=True).encode()
    put_head_files(settings, head.tree_size, body, key_file)
    return head


def latest_head() -> StoredHead:
    head = store.latest_head()
    if head is None:
        raise NotFound("no tree head is published yet", code="no_tree_head")
    return head
