"""Bearer-token authentication and role checks.

Tokens are RS256 JWTs verified against a JWKS: an Amazon Cognito user pool's
in dev/prod, the local stack's own key pair locally. Issuer, audience and
expiry are always checked. Roles live in the ``custom:role`` claim (Cognito
custom attribute) or ``role``; a token with neither is a donor's (someone who
signed up); an ``org_admin`` is bound to ``custom:org_id`` (or ``org_id``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt

from chalicelib.config import Settings
from chalicelib.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    ORG_ADMIN = "org_admin"
    DONOR = "donor"


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    org_id: str | None = None

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"this action needs the role {' or '.join(r.value for r in roles)}")

    def require_org(self, org_id: str) -> None:
        """Platform admins act on any charity; an org_admin only on their own."""
        if self.is_platform_admin:
            return
        if self.role is Role.ORG_ADMIN and self.org_id == org_id:
            return
        raise Forbidden("you may not act for this charity")


class _Jwks:
    """Signing keys by ``kid`` from a JWKS file (local) or URL (Cognito)."""

    def __init__(self, location: str):
        self._location = location
        self._client: jwt.PyJWKClient | None = None
        if location.startswith(("http://", "https://")):
            self._client = jwt.PyJWKClient(location, cache_keys=True, lifespan=3600)
            self._keys: dict[str, Any] = {}
        else:
            path = Path(location.removeprefix("file://"))
            data = json.loads(path.read_text())
            self._keys = {k["kid"]: jwt.PyJWK(k).key for k in data["keys"]}

    def key_for(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self._keys:
            raise jwt.InvalidTokenError("unknown key id")
        return self._keys[kid]


@functools.cache
def _jwks(location: str) -> _Jwks:
    return _Jwks(location)


def authenticate(authorization: str | None, settings: Settings) -> Principal | None:
    """The principal a request's ``Authorization`` header proves, or None without one.

    Raises ``Unauthenticated`` for a malformed, badly signed or expired token.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'", code="invalid_token")
    token = token.strip()
    try:
        key = _jwks(settings.jwks_url).key_for(token)
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iss", "sub"]},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired", code="token_expired") from None
    except (jwt.InvalidTokenError, jwt.PyJWKClientError, ValueError):
        raise Unauthenticated("the token is not valid", code="invalid_token") from None
    # A user who signed up at the hosted sign-in and was given no role is a donor (the least
    # privilege); a role the platform does not know is refused.
    role_claim = claims.get("custom:role", claims.get("role")) or Role.DONOR.value
    try:
        role = Role(str(role_claim))
    except ValueError:
        raise Unauthenticated("the token carries no known role", code="invalid_token") from None
    org_id = claims.get("custom:org_id", claims.get("org_id")) or None
    if role is Role.ORG_ADMIN and not org_id:
        raise Unauthenticated("an org_admin token must carry org_id", code="invalid_token")
    return Principal(sub=str(claims["sub"]), role=role, org_id=org_id)
