"""Admin routes of the identity context: users, suspension, flagged security events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, or_, select

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import Conflict, Forbidden, NotFound
from klearkarma.core.pagination import PageDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity import events, sessions
from klearkarma.identity.deps import AdminPrincipal, ClientDep
from klearkarma.identity.models import SecurityEvent, User, UserStatus, UserType
from klearkarma.identity.profile import profile_out
from klearkarma.identity.schemas import ProfileOut, SecurityEventOut, SuspendIn
from klearkarma.platform import platform_of
from klearkarma.practitioners import service as practitioners
from klearkarma.search import cache as search

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERROR_RESPONSES)


@router.get("/security-events", response_model=Envelope[list[SecurityEventOut]])
async def security_events(
    admin: AdminPrincipal,
    session: SessionDep,
    page: PageDep,
    flagged: bool | None = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    event_type: Annotated[str | None, Query(alias="eventType", max_length=64)] = None,
) -> Envelope[list[SecurityEventOut]]:
    """The security log, newest first; ``flagged=true`` lists the events scoring above 0.8."""
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
    return ok([SecurityEventOut.model_validate(r) for r in rows], page.pagination(int(total or 0)))


@router.get("/users", response_model=Envelope[list[ProfileOut]])
async def list_users(
    admin: AdminPrincipal,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="email or name contains")] = None,
    user_type: Annotated[UserType | None, Query(alias="userType")] = None,
    status: UserStatus | None = None,
) -> Envelope[list[ProfileOut]]:
    """Search accounts by email or name."""
    query = select(User).where(User.deleted_at.is_(None))
    if q:
        pattern = (
            "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.first_name + " " + User.last_name).like(pattern, escape="\\"),
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
    return ok([profile_out(u) for u in rows], page.pagination(int(total or 0)))


async def _target(session: SessionDep, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None:
        raise NotFound("User not found.")
    return user


@router.post("/users/{user_id}/suspend", response_model=Envelope[ProfileOut])
async def suspend(
    user_id: uuid.UUID,
    body: SuspendIn,
    request: Request,
    admin: AdminPrincipal,
    session: SessionDep,
    client: ClientDep,
) -> Envelope[ProfileOut]:
    """Suspend an account: it cannot sign in, its sessions end, its public profile hides."""
    user = await _target(session, user_id)
    if user.user_type is UserType.ADMIN:
        raise Forbidden("Admins cannot be suspended here.")
    if user.status is UserStatus.SUSPENDED:
        raise Conflict("The account is already suspended.")
    user.status = UserStatus.SUSPENDED
    await sessions.revoke_all(session, user.id, "suspended")
    await practitioners.set_active_for_user(session, user.id, False)
    await practitioners.forget_cached_answers(session, platform_of(request).cache, user.id)
    search.changed(session, platform_of(request).cache)
    await events.record(
        session,
        "account_suspended",
        user_id=user.id,
        client=client,
        details={"by": str(admin.user_id), "reason": body.reason},
    )
    return ok(profile_out(user))


@router.post("/users/{user_id}/reactivate", response_model=Envelope[ProfileOut])
async def reactivate(
    user_id: uuid.UUID,
    request: Request,
    admin: AdminPrincipal,
    session: SessionDep,
    client: ClientDep,
) -> Envelope[ProfileOut]:
    """Lift a suspension."""
    user = await _target(session, user_id)
    if user.status is not UserStatus.SUSPENDED:
        raise Conflict("The account is not suspended.")
    user.status = UserStatus.ACTIVE
    await practitioners.set_active_for_user(session, user.id, True)
    await practitioners.forget_cached_answers(session, platform_of(request).cache, user.id)
    search.changed(session, platform_of(request).cache)
    await events.record(
        session,
        "account_reactivated",
        user_id=user.id,
        client=client,
        details={"by": str(admin.user_id)},
    )
    return ok(profile_out(user))
