"""Admin use cases of the identity context: finding accounts, suspending and reactivating them,
and reading the security log. The REST admin routes and the admin web pages both call these."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import Conflict, Forbidden, NotFound
from klearkarma.core.pagination import PageParams
from klearkarma.identity import events, sessions
from klearkarma.identity.models import SecurityEvent, User, UserStatus, UserType
from klearkarma.identity.policy import Principal
from klearkarma.practitioners import service as practitioners
from klearkarma.search import cache as search


def _require_admin(admin: Principal) -> None:
    if not admin.can("users:manage"):
        raise Forbidden("Only admins manage accounts.")


async def search_users(
    session: AsyncSession,
    page: PageParams,
    *,
    q: str | None = None,
    user_type: UserType | None = None,
    status: UserStatus | None = None,
) -> tuple[list[User], int]:
    """Accounts whose email or full name contains ``q`` (case-insensitive), newest first."""
    query = select(User).where(User.deleted_at.is_(None))
    if q:
        # icontains escapes % and _ itself (autoescape): they are characters to find.
        query = query.where(
            or_(
                User.email.icontains(q, autoescape=True),
                (User.first_name + " " + User.last_name).icontains(q, autoescape=True),
            )
        )
    if user_type is not None:
        query = query.where(User.user_type == user_type)
    if status is not None:
        query = query.where(User.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(User.created_at.desc(), User.id).offset(page.offset).limit(page.limit)
    )
    return list(rows), int(total or 0)


async def security_events(
    session: AsyncSession,
    page: PageParams,
    *,
    flagged: bool | None = None,
    user_id: uuid.UUID | None = None,
    event_type: str | None = None,
) -> tuple[list[SecurityEvent], int]:
    """The security log, newest first; ``flagged=True`` keeps the events scoring above 0.8."""
    query = select(SecurityEvent)
    if flagged is not None:
        query = query.where(SecurityEvent.flagged.is_(flagged))
    if user_id is not None:
        query = query.where(SecurityEvent.user_id == user_id)
    if event_type:
        query = query.where(SecurityEvent.event_type == event_type)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)


async def _target(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None:
        raise NotFound("User not found.")
    return user


async def suspend(
    session: AsyncSession,
    cache: CacheBackend,
    admin: Principal,
    user_id: uuid.UUID,
    reason: str,
    client: events.Client,
) -> User:
    """Suspend an account: it cannot sign in, its sessions end, its public profile hides."""
    _require_admin(admin)
    user = await _target(session, user_id)
    if user.user_type is UserType.ADMIN:
        raise Forbidden("Admins cannot be suspended here.")
    if user.status is UserStatus.SUSPENDED:
        raise Conflict("The account is already suspended.")
    user.status = UserStatus.SUSPENDED
    await sessions.revoke_all(session, user.id, "suspended")
    await practitioners.set_active_for_user(session, user.id, False)
    await practitioners.forget_cached_answers(session, cache, user.id)
    search.changed(session, cache)
    await events.record(
        session,
        "account_suspended",
        user_id=user.id,
        client=client,
        details={"by": str(admin.user_id), "reason": reason},
    )
    return user


async def reactivate(
    session: AsyncSession,
    cache: CacheBackend,
    admin: Principal,
    user_id: uuid.UUID,
    client: events.Client,
) -> User:
    """Lift a suspension."""
    _require_admin(admin)
    user = await _target(session, user_id)
    if user.status is not UserStatus.SUSPENDED:
        raise Conflict("The account is not suspended.")
    user.status = UserStatus.ACTIVE
    await practitioners.set_active_for_user(session, user.id, True)
    await practitioners.forget_cached_answers(session, cache, user.id)
    search.changed(session, cache)
    await events.record(
        session,
        "account_reactivated",
        user_id=user.id,
        client=client,
        details={"by": str(admin.user_id)},
    )
    return user
