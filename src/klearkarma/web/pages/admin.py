"""Admin pages: the verification queue with documents and decisions, users (search, suspend,
reactivate), and security events flagged for review.

Only admins who have turned on two-factor authentication hold ``admin:access`` (see
``identity.policy``); an admin who has not is told to, instead of seeing the pages.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, Forbidden, NotFound
from klearkarma.core.pagination import PageParams
from klearkarma.identity import admin as accounts_admin
from klearkarma.identity import service as identity
from klearkarma.identity.deps import client_of
from klearkarma.identity.models import UserStatus, UserType
from klearkarma.identity.policy import Principal
from klearkarma.identity.schemas import SuspendIn
from klearkarma.platform import platform_of
from klearkarma.practitioners import manage, verification
from klearkarma.practitioners.models import Practitioner, VerificationStatus
from klearkarma.practitioners.schemas import VerificationIn
from klearkarma.web.forms import FormErrors, page_number, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.pages.practitioner import document_response
from klearkarma.web.rendering import redirect, render
from klearkarma.web.services import account_zone
from klearkarma.web.session import PageUser

router = page_router("/admin")
PER_PAGE = 20


async def require_admin(user: PageUser) -> Principal:
    """An admin with two-factor authentication on; other signed-in users get the 403 page."""
    if user.is_admin:
        return user
    if user.user_type is UserType.ADMIN:
        raise Forbidden(
            "Admins must turn on two-factor authentication before using the admin pages: "
            "Settings → Password and sign-in."
        )
    raise Forbidden("Your account cannot do this.")


Admin = Annotated[Principal, Depends(require_admin)]


@router.get("")
async def admin_home(request: Request, user: Admin) -> Response:
    return redirect(request, "/admin/verification")


# The verification queue.


async def _queue_page(
    request: Request,
    session: AsyncSession,
    viewer: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    page = page_number(request)
    q = (request.query_params.get("q") or "").strip()[:100]
    rows, total = await verification.queue(session, PageParams(page, PER_PAGE), q=q or None)
    items = []
    for p in rows:
        account = await identity.get_user(session, p.user_id)
        items.append(
            {
                "p": p,
                "email": account.email if account is not None else "",
                "documents": await manage.list_documents(session, p.id),
                "history": await manage.verification_history(session, p.id),
            }
        )
    return render(
        request,
        "admin/verification.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": (total + PER_PAGE - 1) // PER_PAGE,
            "zone": await account_zone(session, viewer),
            "q": q,
            "section": "verification",
            **extra,
        },
        status_code=status_code,
    )


@router.get("/verification")
async def verification_queue(request: Request, session: SessionDep, user: Admin) -> Response:
    """Practitioners waiting for verification, oldest first, with their documents."""
    return await _queue_page(request, session, user)


@router.post("/practitioners/{practitioner_id}/verification")
async def decide(
    practitioner_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Admin,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Verify or reject; the decision is kept in the history and the practitioner is emailed."""
    try:
        async with refusable(session):
            body = VerificationIn.model_validate({"decision": decision, "reason": reason})
            practitioner = await session.get(Practitioner, practitioner_id, with_for_update=True)
            if practitioner is None:
                raise NotFound("Practitioner not found.")
            await verification.decide(
                session,
                platform_of(request).cache,
                admin_id=user.user_id,
                practitioner=practitioner,
                decision=VerificationStatus(body.decision),
                reason=body.reason,
            )
    except (AppError, ValidationError) as exc:
        if isinstance(exc, AppError) and exc.status_code == 404:
            raise
        errors = FormErrors.of(exc)
        if "decision" in errors.fields:
            errors.fields["decision"] = "Choose verify or reject."
        return await _queue_page(
            request,
            session,
            user,
            errors=errors,
            errors_for=practitioner_id,
            values={"decision": decision, "reason": reason},
            status_code=exc.status_code if isinstance(exc, AppError) else 422,
        )
    name = practitioner.display_name
    notice = (
        f"{name} is verified and can be booked."
        if body.decision == "verified"
        else f"{name} was asked to fix their profile."
    )
    return redirect(request, "/admin/verification", notice)


@router.get("/practitioners/{practitioner_id}/documents/{document_id}")
async def download_document(
    practitioner_id: uuid.UUID,
    document_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Admin,
) -> Response:
    """A practitioner's credential file, through the same owner-or-admin check as the API."""
    return await document_response(request, session, user, practitioner_id, document_id)


# Users.


def _enum_or_none(kind: type[UserType] | type[UserStatus], value: str | None) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@router.get("/users")
async def users(request: Request, session: SessionDep, user: Admin) -> Response:
    """Search accounts by email or name; filter by role and status."""
    q = (request.query_params.get("q") or "").strip()[:100]
    user_type = _enum_or_none(UserType, request.query_params.get("user_type"))
    status = _enum_or_none(UserStatus, request.query_params.get("status"))
    page = page_number(request)
    rows, total = await accounts_admin.search_users(
        session, PageParams(page, PER_PAGE), q=q or None, user_type=user_type, status=status
    )
    return render(
        request,
        "admin/users.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "user_type": user_type.value if user_type else "",
            "status": status.value if status else "",
            "page": page,
            "pages": (total + PER_PAGE - 1) // PER_PAGE,
            "zone": await account_zone(session, user),
            "section": "users",
        },
    )


async def _user_page(
    request: Request,
    session: AsyncSession,
    viewer: Principal,
    user_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    account = await identity.get_user(session, user_id)
    if account is None or account.deleted_at is not None:
        raise NotFound("User not found.")
    recent, _ = await accounts_admin.security_events(session, PageParams(1, 10), user_id=user_id)
    return render(
        request,
        "admin/user.html",
        {
            "account": account,
            "events": recent,
            "zone": await account_zone(session, viewer),
            "section": "users",
            **extra,
        },
        status_code=status_code,
    )


@router.get("/users/{user_id}")
async def user_page(
    user_id: uuid.UUID, request: Request, session: SessionDep, user: Admin
) -> Response:
    """One account: its status, recent security events, and suspend or reactivate."""
    return await _user_page(request, session, user, user_id)


@router.post("/users/{user_id}/suspend")
async def suspend(
    user_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Admin,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Suspend: the account cannot sign in, its sessions end, its public profile hides."""
    try:
        async with refusable(session):
            body = SuspendIn.model_validate({"reason": reason})
            account = await accounts_admin.suspend(
                session, platform_of(request).cache, user, user_id, body.reason, client_of(request)
            )
    except (AppError, ValidationError) as exc:
        if isinstance(exc, AppError) and exc.status_code == 404:
            raise
        return await _user_page(
            request,
            session,
            user,
            user_id,
            errors=FormErrors.of(exc),
            values={"reason": reason},
            status_code=exc.status_code if isinstance(exc, AppError) else 422,
        )
    return redirect(request, f"/admin/users/{user_id}", f"{account.email} is suspended.")


@router.post("/users/{user_id}/reactivate")
async def reactivate(
    user_id: uuid.UUID, request: Request, session: SessionDep, user: Admin
) -> Response:
    """Lift a suspension."""
    try:
        async with refusable(session):
            account = await accounts_admin.reactivate(
                session, platform_of(request).cache, user, user_id, client_of(request)
            )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(request, f"/admin/users/{user_id}", exc.message, "error")
    return redirect(request, f"/admin/users/{user_id}", f"{account.email} is active again.")


# Security events.


@router.get("/security")
async def security(request: Request, session: SessionDep, user: Admin) -> Response:
    """Security events flagged for review (risk above 0.8), newest first; or the whole log."""
    show_all = request.query_params.get("show") == "all"
    page = page_number(request)
    rows, total = await accounts_admin.security_events(
        session, PageParams(page, PER_PAGE), flagged=None if show_all else True
    )
    emails = {}
    for event in rows:
        if event.user_id is not None and event.user_id not in emails:
            account = await identity.get_user(session, event.user_id)
            emails[event.user_id] = account.email if account is not None else "(deleted)"
    return render(
        request,
        "admin/security.html",
        {
            "rows": rows,
            "emails": emails,
            "show_all": show_all,
            "total": total,
            "page": page,
            "pages": (total + PER_PAGE - 1) // PER_PAGE,
            "zone": await account_zone(session, user),
            "section": "security",
        },
    )
