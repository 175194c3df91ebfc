"""Use cases of the identity context that other contexts and the CLI call."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.errors import Conflict
from klearkarma.identity.models import User, UserStatus, UserType
from klearkarma.identity.passwords import hash_password


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result: User | None = await session.scalar(
        select(User).where(func.lower(User.email) == normalize_email(email))
    )
    return result


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    user_type: UserType,
    password_rounds: int,
    email_verified: bool = False,
) -> User:
    if await get_user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists.")
    user = User(
        email=normalize_email(email),
        password_hash=hash_password(password, password_rounds) if password else None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        user_type=user_type,
        status=UserStatus.ACTIVE,
        email_verified=email_verified,
    )
    session.add(user)
    await session.flush()
    return user


async def ensure_admin(
    session: AsyncSession, *, email: str, password: str, password_rounds: int
) -> tuple[User, bool]:
    """Create the admin account if no account uses ``email``; return it and whether it is new.

    Admins exist only through this path (the CLI and the start-up variables), never through
    registration. An existing non-admin account with that email is refused, not promoted.
    """
    existing = await get_user_by_email(session, email)
    if existing is not None:
        if existing.user_type is not UserType.ADMIN:
            raise Conflict(f"{email} already belongs to a non-admin account.")
        return existing, False
    user = await create_user(
        session,
        email=email,
        password=password,
        first_name="Platform",
        last_name="Admin",
        user_type=UserType.ADMIN,
        password_rounds=password_rounds,
        email_verified=True,
    )
    return user, True


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def public_names(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names safe to show other users: first name and last initial ("Ananya S.")."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.first_name, User.last_name).where(User.id.in_(set(user_ids)))
    )
    return {
        user_id: f"{first} {last[:1]}.".strip() if last else first for user_id, first, last in rows
    }
