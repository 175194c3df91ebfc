"""Login sessions: refresh-token rotation with reuse detection, revocation, request auth."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.config import Settings
from klearkarma.core.crypto import keyed_hash, random_token
from klearkarma.identity import events
from klearkarma.identity.errors import TokenRevoked
from klearkarma.identity.keys import IdentityKeys
from klearkarma.identity.models import AuthSession, RefreshToken, User, UserStatus
from klearkarma.identity.policy import Principal, permissions_for
from klearkarma.identity.tokens import InvalidToken


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    permissions: frozenset[str]


def _access_token(
    keys: IdentityKeys, user: User, session_id: uuid.UUID
) -> tuple[str, frozenset[str]]:
    permissions = permissions_for(user.user_type, mfa_enabled=user.mfa_enabled)
    token = keys.signer.issue(
        user_id=user.id,
        email=user.email,
        user_type=user.user_type.value,
        permissions=list(permissions),
        session_id=session_id,
    )
    return token, permissions


async def _new_refresh_token(
    session: AsyncSession, keys: IdentityKeys, auth_session: AuthSession, ttl: timedelta
) -> str:
    secret = random_token()
    session.add(
        RefreshToken(
            session_id=auth_session.id,
            token_hash=keyed_hash(keys.token_hash, secret),
            expires_at=min(datetime.now(UTC) + ttl, auth_session.expires_at),
        )
    )
    await session.flush()
    return secret


async def start(
    session: AsyncSession,
    keys: IdentityKeys,
    settings: Settings,
    user: User,
    client: events.Client,
    *,
    provider: str = "password",
) -> IssuedTokens:
    """Open a session for ``user`` and issue its first token pair."""
    now = datetime.now(UTC)
    auth_session = AuthSession(
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        # A session family lives at most three refresh lifetimes, however often it rotates.
        expires_at=now + timedelta(days=settings.refresh_token_ttl_days * 3),
        ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
        provider=provider,
    )
    session.add(auth_session)
    await session.flush()
    refresh = await _new_refresh_token(
        session, keys, auth_session, timedelta(days=settings.refresh_token_ttl_days)
    )
    access, permissions = _access_token(keys, user, auth_session.id)
    user.last_login_at = now
    return IssuedTokens(access, refresh, settings.access_token_ttl_seconds, permissions)


async def rotate(
    session: AsyncSession,
    keys: IdentityKeys,
    settings: Settings,
    secret: str,
    client: events.Client,
) -> tuple[User, IssuedTokens]:
    """Spend a refresh token for a new pair. A spent token presented again ends its family."""
    row = (
        await session.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == AuthSession.user_id)
            .where(RefreshToken.token_hash == keyed_hash(keys.token_hash, secret))
            .with_for_update(of=RefreshToken)
        )
    ).first()
    if row is None:
        raise TokenRevoked("This refresh token is not valid.")
    token, auth_session, user = row
    now = datetime.now(UTC)
    if token.used_at is not None:
        if auth_session.revoked_at is None:
            await revoke(session, auth_session.id, "token_reuse")
            await events.record(
                session,
                "token_reuse",
                user_id=user.id,
                client=client,
                details={"sessionId": str(auth_session.id)},
            )
        raise TokenRevoked(
            "This refresh token was already used; the session has been ended.", keep_changes=True
        )
    if auth_session.revoked_at is not None or token.expires_at <= now:
        raise TokenRevoked()
    if user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        raise TokenRevoked()
    token.used_at = now
    auth_session.last_used_at = now
    refresh = await _new_refresh_token(
        session, keys, auth_session, timedelta(days=settings.refresh_token_ttl_days)
    )
    access, permissions = _access_token(keys, user, auth_session.id)
    return user, IssuedTokens(access, refresh, settings.access_token_ttl_seconds, permissions)


async def revoke(session: AsyncSession, session_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )


async def revoke_all(
    session: AsyncSession, user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> None:
    """End every session of a user (but ``keep``): password reset, suspension, erasure."""
    condition = (AuthSession.user_id == user_id) & AuthSession.revoked_at.is_(None)
    if keep is not None:
        condition &= AuthSession.id != keep
    await session.execute(
        update(AuthSession)
        .where(condition)
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )


async def session_of_refresh_token(
    session: AsyncSession, keys: IdentityKeys, secret: str
) -> uuid.UUID | None:
    return await session.scalar(
        select(RefreshToken.session_id).where(
            RefreshToken.token_hash == keyed_hash(keys.token_hash, secret)
        )
    )


async def authenticate(session: AsyncSession, keys: IdentityKeys, bearer: str) -> Principal:
    """The principal of a bearer token whose session is still open and user still active."""
    try:
        claims = keys.signer.verify(bearer)
    except InvalidToken as exc:
        raise TokenRevoked("The access token is invalid or has expired.") from exc
    row = (
        await session.execute(
            select(User, AuthSession.revoked_at)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == claims.session_id, User.id == claims.user_id)
        )
    ).first()
    if row is None:
        raise TokenRevoked()
    user, revoked_at = row
    if revoked_at is not None:
        raise TokenRevoked()
    if user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        raise TokenRevoked()
    return Principal(
        user_id=user.id,
        email=user.email,
        user_type=user.user_type,
        permissions=claims.permissions,
        session_id=claims.session_id,
    )


async def list_sessions(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    rows = await session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .order_by(AuthSession.last_used_at.desc())
    )
    return list(rows)
