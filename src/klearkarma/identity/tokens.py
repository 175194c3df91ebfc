"""Access tokens: short-lived HS256 JWTs, algorithm pinned, every claim required.

The token names its session (``sid``); each request also checks that session in the database, so
logout, password reset and suspension take effect at once rather than at expiry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from klearkarma.core.crypto import derive_key

ALGORITHM = "HS256"
ISSUER = "klearkarma"
AUDIENCE = "klearkarma-api"
REQUIRED_CLAIMS = ("sub", "email", "userType", "permissions", "iat", "exp", "jti", "sid")


class InvalidToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    email: str
    user_type: str
    permissions: frozenset[str]
    session_id: uuid.UUID
    token_id: str
    expires_at: datetime


class TokenSigner:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._key = derive_key(secret, "access-token")
        self.ttl_seconds = ttl_seconds

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        email: str,
        user_type: str,
        permissions: list[str],
        session_id: uuid.UUID,
        now: datetime | None = None,
    ) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "email": email,
            "userType": user_type,
            "permissions": sorted(permissions),
            "sid": str(session_id),
            "jti": uuid.uuid4().hex,
            "iat": int(issued.timestamp()),
            "exp": int((issued + timedelta(seconds=self.ttl_seconds)).timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """Decode and check a token; anything but our own unexpired HS256 token is refused."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": list(REQUIRED_CLAIMS)},
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                email=str(claims["email"]),
                user_type=str(claims["userType"]),
                permissions=frozenset(str(p) for p in claims["permissions"]),
                session_id=uuid.UUID(claims["sid"]),
                token_id=str(claims["jti"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise InvalidToken(str(exc)) from exc
