"""Browser sessions: the web app's cookie names one row of ``auth_sessions``.

A cookie session is the same kind of session the API's login opens (same table, same revocation
rules), so logout, password reset, suspension and erasure end browser sessions exactly as they end
API sessions. The cookie carries only the session id and an HMAC of it; every request reads the
session row, which is the revocation list.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.crypto import derive_key, keyed_hash, random_token
from klearkarma.identity import events, mfa, sessions
from klearkarma.identity.accounts import Context
from klearkarma.identity.errors import InvalidCredentials
from klearkarma.identity.models import AuthSession, User, UserStatus
from klearkarma.identity.policy import Principal, permissions_for
from klearkarma.identity.service import normalize_email
from klearkarma.identity.throttle import LoginThrottle
from klearkarma.identity.tokens import InvalidToken, TokenSigner

PENDING_MFA_SECONDS = 300


def cookie_key(secret: str) -> bytes:
    """The key that signs session cookies (separate from token signing and hashing keys)."""
    return derive_key(secret, "web-session-cookie")


def cookie_value(key: bytes, session_id: uuid.UUID) -> str:
    return f"{session_id}.{keyed_hash(key, str(session_id))}"


def session_id_from_cookie(key: bytes, value: str | None) -> uuid.UUID | None:
    """The session a cookie names, if its signature is ours; None for anything else."""
    if not value or "." not in value:
        return None
    raw_id, _, signature = value.partition(".")
    try:
        session_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, keyed_hash(key, str(session_id))):
        return None
    return session_id


def session_of(signer: TokenSigner, issued: sessions.IssuedTokens) -> uuid.UUID:
    """The session a login just opened (its access token names it)."""
    try:
        return signer.verify(issued.access_token).session_id
    except InvalidToken as exc:  # we issued it a moment ago: cannot happen
        raise RuntimeError("a freshly issued access token did not verify") from exc


async def principal_for(session: AsyncSession, session_id: uuid.UUID) -> Principal | None:
    """The signed-in user of an open, unexpired session whose account is still active."""
    row = (
        await session.execute(
            select(User, AuthSession.revoked_at, AuthSession.expires_at)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == session_id)
        )
    ).first()
    if row is None:
        return None
    user, revoked_at, expires_at = row
    if revoked_at is not None or expires_at <= datetime.now(UTC):
        return None
    if user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        return None
    return Principal(
        user_id=user.id,
        email=user.email,
        user_type=user.user_type,
        permissions=permissions_for(user.user_type, mfa_enabled=user.mfa_enabled),
        session_id=session_id,
    )


# Two-step login in a browser: the password step (``accounts.login`` answering ``MfaRequired``)
# leaves a short-lived, single-use ticket in the cache instead of asking the page to carry the
# password into the code step.


def _ticket_key(keys_hash: bytes, ticket: str) -> str:
    return f"web-mfa:{keyed_hash(keys_hash, ticket)}"


async def issue_mfa_ticket(ctx: Context, email: str) -> str:
    """A ticket naming the account whose password was just accepted (valid five minutes)."""
    ticket = random_token()
    await ctx.cache.set(
        _ticket_key(ctx.keys.token_hash, ticket),
        normalize_email(email).encode(),
        PENDING_MFA_SECONDS,
    )
    return ticket


async def finish_mfa_login(
    session: AsyncSession, ctx: Context, ticket: str, otp: str
) -> tuple[User, sessions.IssuedTokens]:
    """Second step: a valid code (TOTP or recovery) for the ticket's account opens a session.

    Wrong codes count against the same brute-force budget as wrong passwords.
    """
    key = _ticket_key(ctx.keys.token_hash, ticket)
    stored = await ctx.cache.get(key)
    if stored is None:
        raise InvalidCredentials("The sign-in has timed out; enter your password again.")
    email = stored.decode()
    ip = ctx.client.ip or "unknown"
    throttle = LoginThrottle(ctx.cache)
    await throttle.check(email, ip)
    user = await session.scalar(select(User).where(User.email == email).with_for_update())
    if user is None or user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        raise InvalidCredentials()
    if not user.mfa_enabled or not await mfa.accept_code(session, ctx.keys, user, otp):
        await throttle.failed(email, ip)
        await events.record(session, "mfa_failed", user_id=user.id, client=ctx.client)
        raise InvalidCredentials("The two-factor code is not valid.", keep_changes=True)
    await ctx.cache.delete(key)
    await throttle.succeeded(email, ip)
    tokens = await sessions.start(session, ctx.keys, ctx.settings, user, ctx.client)
    await events.record(session, "login", user_id=user.id, client=ctx.client)
    return user, tokens
