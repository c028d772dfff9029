"""Access tokens (short-lived JWTs, HS256 via PyJWT, with issuer, audience and expiry) and the
opaque secrets of refresh tokens and API keys (random, stored only as SHA-256 hashes).

An opaque secret carries its owner so a lookup is one GetItem, never a scan:
``rt.<user>.<secret>`` for a refresh token, ``vk.<user>.<key id>.<secret>`` for an API key
(user ids never hold a dot).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from viewra.accounts.models import NAME_PATTERN, Role
from viewra.common.errors import Unauthorized
from viewra.common.identifiers import ID

ALGORITHM = "HS256"
REFRESH_PREFIX = "rt"
API_KEY_PREFIX = "vk"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: Role
    epoch: int


class AccessTokens:
    """Issue and check access tokens with one key, issuer and audience."""

    def __init__(self, key: str, issuer: str, audience: str, ttl_seconds: int) -> None:
        if len(key) < 32:
            raise ValueError("the signing key needs at least 32 characters")
        self._key = key
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(
        self,
        user_id: str,
        role: Role,
        epoch: int,
        now: float | None = None,
        *,
        kind: str = "access",
        ttl_seconds: int | None = None,
    ) -> str:
        """A signed token; ``kind`` "media" makes one only the signed media routes take (a
        player that cannot send headers carries it in the URL's path)."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "role": role.value,
            "ep": epoch,
            "typ": kind,
            "iat": issued,
            "exp": issued + (self.ttl_seconds if ttl_seconds is None else ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def check(self, token: str, kind: str = "access") -> AccessClaims:
        """The token's claims; 401 for a bad signature, another issuer or audience, an expired
        token or one of another kind."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
            if claims.get("typ") != kind:
                raise jwt.InvalidTokenError(f"not an {kind} token")
            return AccessClaims(str(claims["sub"]), Role(claims["role"]), int(claims["ep"]))
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired", code="TokenExpired") from exc
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("the access token is not valid", code="InvalidToken") from exc


def secret_hash(secret: str) -> str:
    """SHA-256 of a high-entropy secret (a slow hash is for passwords, not for these)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_refresh_token(user_id: str) -> tuple[str, str]:
    """(token for the client, hash to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{REFRESH_PREFIX}.{user_id}.{secret}", secret_hash(secret)


def parse_refresh_token(token: str) -> tuple[str, str]:
    """(user id, hash of the secret); 401 if it is not shaped as one."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != REFRESH_PREFIX or not NAME_PATTERN.match(parts[1]):
        raise Unauthorized("the refresh token is not valid", code="InvalidToken")
    return parts[1], secret_hash(parts[2])


def new_api_key(user_id: str) -> tuple[str, str, str]:
    """(key for the client, key id, hash to store)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}.{user_id}.{key_id}.{secret}", key_id, secret_hash(secret)


def parse_api_key(key: str) -> tuple[str, str, str] | None:
    """(user id, key id, hash of the secret), or None if it is not shaped as one."""
    parts = key.split(".")
    if len(parts) != 4 or parts[0] != API_KEY_PREFIX or not NAME_PATTERN.match(parts[1]):
        return None
    if not ID.matches(parts[2]):  # a key of its own size: a 2 KB one failed the read (a 500)
        return None
    return parts[1], parts[2], secret_hash(parts[3])
