"""The availability editor: weekly hours per day, date overrides, booking settings, blocked times.

The form posts everything at once; its "add hours" / "remove" buttons re-render it with a row more
or less without saving, so it works without JavaScript. Saving builds the same payload as
``PUT /v1/practitioners/{id}/availability`` and goes through ``manage.set_rules``, whose refusals
are put back on the inputs they are about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, ValidationFailed
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of
from klearkarma.practitioners import manage
from klearkarma.practitioners.models import Practitioner
from klearkarma.web.forms import FormErrors, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.pages.practitioner import Owner
from klearkarma.web.practice import Editor, editor_context, onboarding_page, own_practitioner
from klearkarma.web.rendering import redirect, render
from klearkarma.web.session import safe_next
from klearkarma.web.slots import ZONES

router = page_router("/practitioner")
ONBOARDING = "/practitioner/onboarding"


async def _profile_or_none(session: AsyncSession, user: Principal) -> Practitioner | None:
    return await own_practitioner(session, user)


async def _page(
    request: Request,
    session: AsyncSession,
    user: Principal,
    practitioner: Practitioner,
    *,
    in_onboarding: bool = False,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    if in_onboarding:
        return await onboarding_page(
            request, session, user, "availability", status_code=status_code, **extra
        )
    context = await editor_context(session, practitioner, extra)
    return render(
        request,
        "practitioner/availability.html",
        {"p": practitioner, "section": "availability", **extra, **context},
        status_code=status_code,
    )


@router.get("/availability")
async def availability_page(request: Request, session: SessionDep, user: Owner) -> Response:
    """Your weekly hours, date overrides, booking settings and blocked times."""
    practitioner = await _profile_or_none(session, user)
    if practitioner is None:
        return redirect(request, ONBOARDING, "Start with your profile.", "info")
    return await _page(request, session, user, practitioner)


@router.post("/availability")
async def save_availability(request: Request, session: SessionDep, user: Owner) -> Response:
    """Save the rules, or add/remove a row of the form (``action``) without saving."""
    practitioner = await _profile_or_none(session, user)
    if practitioner is None:
        return redirect(request, ONBOARDING, "Start with your profile.", "info")
    form = await request.form()
    editor = Editor.from_form(form)
    action = str(form.get("action") or "save")
    next_url = safe_next(str(form.get("next") or ""), "/practitioner/availability")
    in_onboarding = next_url.startswith(ONBOARDING)
    if action != "save" and editor.apply(action):
        return await _page(
            request, session, user, practitioner, in_onboarding=in_onboarding, editor=editor
        )
    try:
        async with refusable(session):
            locked = await manage.owned(session, user, practitioner.id, lock=True)
            await manage.set_rules(session, platform_of(request).cache, locked, editor.payload())
    except ValidationFailed as exc:
        return await _page(
            request,
            session,
            user,
            practitioner,
            in_onboarding=in_onboarding,
            editor=editor,
            avail_errors=editor.errors_of(exc),
            status_code=422,
        )
    return redirect(request, next_url, "Your availability is saved.")


def _local(text: str, zone: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed([(name, "Enter a date and time.")]) from None
    return moment.replace(tzinfo=ZoneInfo(zone))


@router.post("/blocked-times")
async def block_time(
    request: Request,
    session: SessionDep,
    user: Owner,
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Block a period (holiday, retreat), in the zone of your weekly hours; its slots go at once."""
    practitioner = await _profile_or_none(session, user)
    if practitioner is None:
        return redirect(request, ONBOARDING, "Start with your profile.", "info")
    rules = await manage.rules_of(session, practitioner)
    zone = rules["timezone"] if rules else practitioner.timezone
    zone = zone if zone in ZONES else "UTC"
    next_url = safe_next(next, "/practitioner/availability")
    try:
        async with refusable(session):
            await manage.add_blocked_time(
                session,
                platform_of(request).cache,
                practitioner,
                _local(start, zone, "start"),
                _local(end, zone, "end"),
                reason.strip(),
            )
    except AppError as exc:
        return await _page(
            request,
            session,
            user,
            practitioner,
            in_onboarding=next_url.startswith(ONBOARDING),
            block_values={"start": start, "end": end, "reason": reason},
            block_errors=FormErrors.of(exc),
            status_code=422,
        )
    return redirect(request, next_url, "That time is blocked; no one can book it.")


@router.post("/blocked-times/{block_id}/remove")
async def unblock_time(
    block_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Owner,
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Open a blocked period for booking again."""
    practitioner = await _profile_or_none(session, user)
    if practitioner is None:
        return redirect(request, ONBOARDING, "Start with your profile.", "info")
    await manage.remove_blocked_time(session, platform_of(request).cache, practitioner, block_id)
    return redirect(
        request, safe_next(next, "/practitioner/availability"), "The blocked time is removed."
    )
