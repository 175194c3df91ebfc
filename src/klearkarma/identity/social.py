"""Sign-in with Google, Facebook or any configured OpenID Connect issuer.

The client gets an ID token from the provider and hands it to us; we verify it against the
issuer's keys (see ``oidc.py``), then sign in the linked account, link a verified account with the
same email, or create a new one. An unverified local account is never linked: that would let
whoever controls the provider identity take over an account they never proved they own.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.crypto import random_token
from klearkarma.core.errors import Conflict, NotFound, ValidationFailed
from klearkarma.identity import events, mfa, sessions
from klearkarma.identity.accounts import Context
from klearkarma.identity.errors import AccountSuspended, InvalidCredentials, MfaRequired
from klearkarma.identity.models import SocialAccount, User, UserStatus, UserType
from klearkarma.identity.oidc import OidcError, OidcIdentity, OidcVerifier
from klearkarma.identity.service import get_user_by_email, normalize_email

NONCE_TTL_SECONDS = 600


async def issue_nonce(ctx: Context) -> str:
    nonce = random_token(24)
    await ctx.cache.set(f"oidc-nonce:{nonce}", b"1", NONCE_TTL_SECONDS)
    return nonce


async def _spend_nonce(ctx: Context, nonce: str) -> None:
    key = f"oidc-nonce:{nonce}"
    if await ctx.cache.get(key) is None:
        raise ValidationFailed([("nonce", "Unknown or expired nonce; ask for a new one.")])
    await ctx.cache.delete(key)


async def _refuse_replay(ctx: Context, id_token: str) -> None:
    """Without a nonce, an ID token is accepted once (remembered for its lifetime)."""
    key = "oidc-seen:" + hashlib.sha256(id_token.encode()).hexdigest()
    if await ctx.cache.get(key) is not None:
        raise InvalidCredentials("This sign-in token was already used.")
    await ctx.cache.set(key, str(time.time()).encode(), 3600)


async def _account_for(session: AsyncSession, identity: OidcIdentity, user_type: UserType) -> User:
    linked = await session.scalar(
        select(User)
        .join(SocialAccount, SocialAccount.user_id == User.id)
        .where(
            SocialAccount.provider == identity.provider, SocialAccount.subject == identity.subject
        )
    )
    if linked is not None:
        return linked
    # Facebook's limited-login tokens carry no email_verified claim; Facebook only releases an
    # address its owner has confirmed, so its presence is the proof.
    verified = identity.email_verified or identity.provider == "facebook"
    if not identity.email or not verified:
        raise InvalidCredentials("The provider did not confirm an email address for this account.")
    user = await get_user_by_email(session, identity.email)
    if user is not None and not user.email_verified:
        raise Conflict(
            "An account with this email exists but its address is not verified. Sign in with "
            "your password and verify it first, then link this provider."
        )
    if user is None:
        user = User(
            email=normalize_email(identity.email),
            password_hash=None,
            first_name=(identity.given_name or identity.email.split("@")[0])[:100],
            last_name=(identity.family_name or "")[:100],
            user_type=user_type,
            status=UserStatus.ACTIVE,
            email_verified=True,
            phone_verified=False,
        )
        session.add(user)
        await session.flush()
    session.add(
        SocialAccount(
            user_id=user.id,
            provider=identity.provider,
            subject=identity.subject,
            email=normalize_email(identity.email),
        )
    )
    await session.flush()
    return user


async def login(
    session: AsyncSession,
    ctx: Context,
    verifier: OidcVerifier,
    *,
    provider: str,
    id_token: str,
    nonce: str | None,
    otp: str | None,
    user_type: UserType,
) -> tuple[User, sessions.IssuedTokens]:
    if not verifier.has(provider):
        raise NotFound(f"Sign-in with {provider!r} is not configured.")
    if nonce is not None:
        await _spend_nonce(ctx, nonce)
    try:
        identity = await verifier.verify(provider, id_token, nonce=nonce)
    except OidcError as exc:
        await events.record(
            session,
            "failed_login",
            user_id=None,
            client=ctx.client,
            details={"provider": provider, "reason": exc.reason},
        )
        raise InvalidCredentials(
            "The sign-in token could not be verified.", keep_changes=True
        ) from exc
    if nonce is None:
        await _refuse_replay(ctx, id_token)
    user = await _account_for(session, identity, user_type)
    if user.status is UserStatus.SUSPENDED:
        raise AccountSuspended()
    if user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        raise InvalidCredentials()
    if user.mfa_enabled:
        if not otp:
            raise MfaRequired()
        if not await mfa.accept_code(session, ctx.keys, user, otp):
            raise InvalidCredentials("The two-factor code is not valid.")
    tokens = await sessions.start(
        session, ctx.keys, ctx.settings, user, ctx.client, provider=provider
    )
    await events.record(
        session, "login_social", user_id=user.id, client=ctx.client, details={"provider": provider}
    )
    return user, tokens
