"""Single-use secrets sent to a person: verification links, reset links, SMS codes.

Only a keyed hash is stored; a token works once, before it expires, for its one purpose.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.crypto import keyed_hash, random_token
from klearkarma.identity.models import ActionToken, TokenPurpose

MAX_CODE_ATTEMPTS = 5


class TokenRejected(Exception):
    """The token is unknown, spent, expired, or used for the wrong purpose."""


async def issue(
    session: AsyncSession,
    key: bytes,
    *,
    user_id: uuid.UUID,
    purpose: TokenPurpose,
    ttl: timedelta,
    target: str | None = None,
    numeric_code: bool = False,
) -> str:
    """Create a token (replacing unused ones of the same purpose) and return its secret."""
    await session.execute(
        delete(ActionToken).where(
            ActionToken.user_id == user_id,
            ActionToken.purpose == purpose,
            ActionToken.used_at.is_(None),
        )
    )
    secret = f"{secrets.randbelow(1_000_000):06d}" if numeric_code else random_token()
    # Six-digit codes repeat across users, so their hash is bound to the user.
    material = f"{user_id}:{secret}" if numeric_code else secret
    session.add(
        ActionToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=keyed_hash(key, material),
            target=target,
            expires_at=datetime.now(UTC) + ttl,
        )
    )
    await session.flush()
    return secret


async def consume(
    session: AsyncSession, key: bytes, secret: str, purpose: TokenPurpose
) -> ActionToken:
    """Spend a link token; raise TokenRejected unless it is valid right now."""
    token = await session.scalar(
        select(ActionToken)
        .where(ActionToken.token_hash == keyed_hash(key, secret), ActionToken.purpose == purpose)
        .with_for_update()
    )
    now = datetime.now(UTC)
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise TokenRejected
    token.used_at = now
    await session.flush()
    return token


async def consume_code(
    session: AsyncSession, key: bytes, user_id: uuid.UUID, code: str, purpose: TokenPurpose
) -> ActionToken:
    """Spend a numeric code of this user; a few wrong tries burn the code."""
    token = await session.scalar(
        select(ActionToken)
        .where(
            ActionToken.user_id == user_id,
            ActionToken.purpose == purpose,
            ActionToken.used_at.is_(None),
        )
        .order_by(ActionToken.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    now = datetime.now(UTC)
    if token is None or token.expires_at <= now or token.attempts >= MAX_CODE_ATTEMPTS:
        raise TokenRejected
    if not secrets.compare_digest(token.token_hash, keyed_hash(key, f"{user_id}:{code}")):
        token.attempts += 1
        await session.flush()
        raise TokenRejected
    token.used_at = now
    await session.flush()
    return token
