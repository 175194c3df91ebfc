"""Account use cases: registration, login, email verification, password changes and resets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.config import Settings
from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import Conflict, ValidationFailed
from klearkarma.identity import action_tokens, emails, events, mfa, sessions
from klearkarma.identity.errors import (
    AccountSuspended,
    InvalidCredentials,
    InvalidToken,
    MfaRequired,
)
from klearkarma.identity.keys import IdentityKeys
from klearkarma.identity.models import TokenPurpose, User, UserStatus, UserType
from klearkarma.identity.passwords import hash_password, password_problem, verify_password
from klearkarma.identity.phones import normalize_phone_field
from klearkarma.identity.service import get_user_by_email, normalize_email
from klearkarma.identity.throttle import LoginThrottle
from klearkarma.notifications.service import queue_email

VERIFY_EMAIL_TTL = timedelta(hours=48)
RESET_PASSWORD_TTL = timedelta(hours=1)

# Compared against when the email is unknown, so a miss costs the same bcrypt work as a hit.
_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash(rounds: int) -> str:
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = hash_password("not-a-real-password-0", rounds)
    return _DUMMY_HASHES[rounds]


@dataclass(frozen=True)
class Context:
    """What the account use cases need besides the session."""

    settings: Settings
    keys: IdentityKeys
    cache: CacheBackend
    client: events.Client


def check_password(password: str, *hints: str | None) -> None:
    problem = password_problem(password, [h for h in hints if h])
    if problem:
        raise ValidationFailed([("password", problem)], "Choose a stronger password.")


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{path}?token={token}"


async def send_verification(session: AsyncSession, ctx: Context, user: User) -> None:
    token = await action_tokens.issue(
        session,
        ctx.keys.token_hash,
        user_id=user.id,
        purpose=TokenPurpose.VERIFY_EMAIL,
        ttl=VERIFY_EMAIL_TTL,
        target=user.email,
    )
    link = _link(ctx.settings, "/verify-email", token)
    await queue_email(session, emails.verify_email(user.email, user.first_name, link, token))


async def register(
    session: AsyncSession,
    ctx: Context,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    user_type: UserType,
    phone: str | None,
) -> tuple[User, sessions.IssuedTokens]:
    if user_type is UserType.ADMIN:  # the schema already refuses it; never trust one layer
        raise ValidationFailed([("userType", "userType must be seeker or practitioner")])
    check_password(password, email, first_name, last_name)
    if await get_user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists.")
    user = User(
        email=normalize_email(email),
        password_hash=hash_password(password, ctx.settings.password_rounds),
        first_name=first_name,
        last_name=last_name,
        phone=normalize_phone_field(phone) if phone else None,
        user_type=user_type,
        status=UserStatus.ACTIVE,
        email_verified=False,
        phone_verified=False,
        password_changed_at=datetime.now(UTC),
    )
    session.add(user)
    await session.flush()
    await send_verification(session, ctx, user)
    tokens = await sessions.start(session, ctx.keys, ctx.settings, user, ctx.client)
    await events.record(
        session, "login", user_id=user.id, client=ctx.client, details={"via": "registration"}
    )
    return user, tokens


async def login(
    session: AsyncSession, ctx: Context, *, email: str, password: str, otp: str | None
) -> tuple[User, sessions.IssuedTokens]:
    ip = ctx.client.ip or "unknown"
    throttle = LoginThrottle(ctx.cache)
    await throttle.check(email, ip)
    user = await get_user_by_email(session, email)
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = verify_password(password, stored or _dummy_hash(ctx.settings.password_rounds))
    if user is None or stored is None or not matches or user.deleted_at is not None:
        locked = await throttle.failed(email, ip)
        user_id = user.id if user else None
        await events.record(
            session,
            "failed_login",
            user_id=user_id,
            client=ctx.client,
            details={"reason": "password"},
        )
        if locked:
            await events.record(session, "account_locked", user_id=user_id, client=ctx.client)
        raise InvalidCredentials(keep_changes=True)
    if user.status is UserStatus.SUSPENDED:
        raise AccountSuspended()
    if user.status is not UserStatus.ACTIVE:
        raise InvalidCredentials()
    if user.mfa_enabled:
        if not otp:
            raise MfaRequired()
        if not await mfa.accept_code(session, ctx.keys, user, otp):
            await throttle.failed(email, ip)
            await events.record(session, "mfa_failed", user_id=user.id, client=ctx.client)
            raise InvalidCredentials("The two-factor code is not valid.", keep_changes=True)
    await throttle.succeeded(email, ip)
    tokens = await sessions.start(session, ctx.keys, ctx.settings, user, ctx.client)
    await events.record(session, "login", user_id=user.id, client=ctx.client)
    return user, tokens


async def _spend(
    session: AsyncSession, ctx: Context, token: str, purpose: TokenPurpose
) -> tuple[User, str | None]:
    """The active account a link token belongs to (and what it was issued for)."""
    try:
        spent = await action_tokens.consume(session, ctx.keys.token_hash, token, purpose)
    except action_tokens.TokenRejected as exc:
        raise InvalidToken() from exc
    user = await session.get(User, spent.user_id)
    if user is None or user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        raise InvalidToken()
    return user, spent.target


async def verify_email(session: AsyncSession, ctx: Context, token: str) -> User:
    user, target = await _spend(session, ctx, token, TokenPurpose.VERIFY_EMAIL)
    if user.email != target:
        raise InvalidToken("This link was for an address the account no longer uses.")
    user.email_verified = True
    await events.record(session, "email_verified", user_id=user.id, client=ctx.client)
    return user


async def request_password_reset(session: AsyncSession, ctx: Context, email: str) -> None:
    """Email a reset link when the account exists; say nothing either way."""
    user = await get_user_by_email(session, email)
    if user is None or user.status is not UserStatus.ACTIVE or user.deleted_at is not None:
        return
    token = await action_tokens.issue(
        session,
        ctx.keys.token_hash,
        user_id=user.id,
        purpose=TokenPurpose.RESET_PASSWORD,
        ttl=RESET_PASSWORD_TTL,
    )
    link = _link(ctx.settings, "/reset-password", token)
    await queue_email(session, emails.reset_password(user.email, user.first_name, link, token))
    await events.record(session, "password_reset_requested", user_id=user.id, client=ctx.client)


async def _set_password(session: AsyncSession, ctx: Context, user: User, password: str) -> None:
    check_password(password, user.email, user.first_name, user.last_name)
    user.password_hash = hash_password(password, ctx.settings.password_rounds)
    user.password_changed_at = datetime.now(UTC)
    await queue_email(session, emails.password_changed(user.email, user.first_name))


async def reset_password(session: AsyncSession, ctx: Context, token: str, password: str) -> None:
    user, _ = await _spend(session, ctx, token, TokenPurpose.RESET_PASSWORD)
    await _set_password(session, ctx, user, password)
    await sessions.revoke_all(session, user.id, "password_reset")
    await events.record(session, "password_reset", user_id=user.id, client=ctx.client)


async def change_password(
    session: AsyncSession,
    ctx: Context,
    user: User,
    current: str,
    new: str,
    keep_session: uuid.UUID,
) -> None:
    """Change a known password; other sessions end, the caller's stays signed in."""
    if not user.password_hash or not verify_password(current, user.password_hash):
        raise ValidationFailed([("currentPassword", "The current password is incorrect.")])
    if current == new:
        raise ValidationFailed(
            [("newPassword", "Choose a password different from the current one.")]
        )
    await _set_password(session, ctx, user, new)
    await sessions.revoke_all(session, user.id, "password_change", keep=keep_session)
    await events.record(session, "password_change", user_id=user.id, client=ctx.client)
