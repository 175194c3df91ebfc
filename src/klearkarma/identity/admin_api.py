"""Admin routes of the identity context: users, suspension, flagged security events.

Thin wrappers over ``identity.admin`` (the admin web pages call the same use cases)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from klearkarma.core.db import SessionDep
from klearkarma.core.pagination import PageDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity import admin as accounts_admin
from klearkarma.identity.deps import AdminPrincipal, ClientDep
from klearkarma.identity.models import UserStatus, UserType
from klearkarma.identity.profile import profile_out
from klearkarma.identity.schemas import ProfileOut, SecurityEventOut, SuspendIn
from klearkarma.platform import platform_of

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
    rows, total = await accounts_admin.security_events(
        session, page, flagged=flagged, user_id=user_id, event_type=event_type
    )
    return ok([SecurityEventOut.model_validate(r) for r in rows], page.pagination(total))


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
    rows, total = await accounts_admin.search_users(
        session, page, q=q, user_type=user_type, status=status
    )
    return ok([profile_out(u) for u in rows], page.pagination(total))


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
    user = await accounts_admin.suspend(
        session, platform_of(request).cache, admin, user_id, body.reason, client
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
    user = await accounts_admin.reactivate(
        session, platform_of(request).cache, admin, user_id, client
    )
    return ok(profile_out(user))
