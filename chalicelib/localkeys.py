"""The local stack's own signing key pair, and tokens minted with it.

Used by ``make token``, the e2e fixtures and the tests; never in dev/prod,
where Cognito issues tokens.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOCAL_KID = "gongyi-local-1"
LOCAL_ISSUER = "https://gongyi.local/issuer"
LOCAL_AUDIENCE = "gongyi-local"


def write_once(path: Path, content: bytes) -> bytes:
    """Create ``path`` holding ``content`` unless another process created it first; returns
    what the file holds. On a fresh clone several local stacks and test workers start at once:
    each may generate keys, and all of them must end up using the same ones."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_bytes(content)
    try:
        os.link(tmp, path)  # atomic, and refused when the file exists
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


def _replace(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_text(content)
    tmp.replace(path)


def ensure_keypair(directory: Path) -> tuple[Path, Path]:
    """Create ``jwt-private.pem`` and ``jwks.json`` in ``directory`` unless present (the public
    key set is derived from whichever private key was written first)."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, jwks_path = directory / "jwt-private.pem", directory / "jwks.json"
    if private_path.exists() and jwks_path.exists():
        return private_path, jwks_path
    if not private_path.exists():
        fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = fresh.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        write_once(private_path, pem)
    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": LOCAL_KID, "alg": "RS256", "use": "sig"})
    _replace(jwks_path, json.dumps({"keys": [jwk]}))
    return private_path, jwks_path


def mint_token(
    private_key_pem: bytes,
    *,
    role: str,
    sub: str,
    org_id: str | None = None,
    ttl_seconds: int = 12 * 3600,
    issuer: str = LOCAL_ISSUER,
    audience: str = LOCAL_AUDIENCE,
    kid: str = LOCAL_KID,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {
        "sub": sub,
        "role": role,
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if org_id:
        claims["org_id"] = org_id
    return jwt.encode(claims, private_key_pem, algorithm="RS256", headers={"kid": kid})
