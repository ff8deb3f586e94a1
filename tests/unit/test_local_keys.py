"""Local signing keys on a fresh clone: several stacks and test workers start at once, and all
of them must end up with the same keys (a stack whose provider simulator had other keys than
its API answered every WeChat order with 503)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.localkeys import ensure_keypair
from scripts.provider_sim.keys import ensure_keys


def test_stacks_starting_at_once_share_the_simulators_keys(tmp_path):
    # When four stacks ask for the simulator's keys at the same moment on a fresh state dir
    with ThreadPoolExecutor(max_workers=4) as pool:
        seen = list(pool.map(lambda _: ensure_keys(tmp_path), range(4)))

    # Then they all use the keys that were stored, and so does the next stack
    assert all(keys == seen[0] for keys in seen)
    assert ensure_keys(tmp_path) == seen[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["provider_keys.json"]  # no temporary left


def test_stacks_starting_at_once_share_the_token_signing_key(tmp_path):
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(lambda _: ensure_keypair(tmp_path), range(4)))

    private_path, jwks_path = paths[0]
    assert all(p == paths[0] for p in paths)
    # the published key set is the public half of the private key on disk
    import json

    import jwt
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    published = json.loads(jwks_path.read_text())["keys"][0]
    assert json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))["n"] == published["n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jwks.json", "jwt-private.pem"]
