"""My bookings: upcoming and past sessions, one booking's page, calendar file, cancel, reschedule.

Every booking is read through ``bookings.lifecycle.get_booking`` with the signed-in principal, so
a booking that is not yours is a 404 here exactly as in the API.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import Response

from klearkarma.bookings import calendar, lifecycle
from klearkarma.bookings.lifecycle import SlotUnavailable
from klearkarma.bookings.models import BookingStatus
from klearkarma.bookings.schemas import BookingWhen
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError
from klearkarma.core.pagination import PageParams
from klearkarma.platform import platform_of
from klearkarma.web.forms import refusable
from klearkarma.web.pages import page_router
from klearkarma.web.pages.payment import receipt_link
from klearkarma.web.rendering import money, redirect, render
from klearkarma.web.services import account_zone, booking_terms
from klearkarma.web.session import PageUser
from klearkarma.web.slots import COMMON_ZONES, slot_grid, week_start

router = page_router("/bookings")
PER_PAGE = 20
LIVE = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


@router.get("")
async def my_bookings(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Upcoming sessions (soonest first) or past ones (latest first)."""
    when = BookingWhen.PAST if request.query_params.get("when") == "past" else BookingWhen.UPCOMING
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    views, total = await lifecycle.list_bookings(
        session, user, PageParams(page, PER_PAGE), when=when
    )
    return render(
        request,
        "bookings/list.html",
        {
            "views": views,
            "when": when.value,
            "total": total,
            "page": page,
            "pages": (total + PER_PAGE - 1) // PER_PAGE,
            "zone": await account_zone(session, user),
        },
    )


@router.get("/{booking_id}")
async def booking_page(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """One booking: status, time, what to do next (pay, add to calendar, cancel, reschedule)."""
    view = await lifecycle.get_booking(session, user, booking_id)
    booking = view.booking
    now = datetime.now(UTC)
    return render(
        request,
        "bookings/detail.html",
        {
            "view": view,
            "b": booking,
            "zone": await account_zone(session, user, request.query_params.get("tz")),
            "is_live": booking.status in LIVE and booking.ends_at > now,
            "can_pay": view.role == "seeker"
            and booking.status is BookingStatus.PENDING
            and (booking.hold_expires_at is None or booking.hold_expires_at > now),
            "just_confirmed": request.query_params.get("paid") == "1",
            "receipt_url": await receipt_link(request, session, user, booking.id),
        },
    )


@router.get("/{booking_id}/calendar.ics")
async def booking_ics(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The session as an iCalendar file ("add to calendar")."""
    view = await lifecycle.get_booking(session, user, booking_id)
    body = await calendar.booking_ics(session, view, platform_of(request).settings.public_url)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="klearkarma-{booking_id}.ics"'},
    )


@router.post("/{booking_id}/cancel")
async def cancel(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: PageUser,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Cancel; the policy decides the refund, which the payments context carries out."""
    try:
        async with refusable(session):
            view = await lifecycle.cancel(
                session,
                platform_of(request).cache,
                booking_terms(request),
                user,
                booking_id,
                reason.strip(),
            )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(request, f"/bookings/{booking_id}", exc.message, "error")
    booking = view.booking
    notice = "Your booking is cancelled."
    if booking.refund_amount:
        notice += f" {money(booking.refund_amount, booking.currency)} will be refunded."
    return redirect(request, f"/bookings/{booking_id}", notice)


@router.get("/{booking_id}/reschedule")
async def reschedule_page(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """Pick a new free time for the same service."""
    view = await lifecycle.get_booking(session, user, booking_id)
    booking = view.booking
    zone = await account_zone(session, user, request.query_params.get("tz"))
    grid = None
    if booking.status in LIVE:
        start = week_start(request.query_params.get("week"), zone)
        grid = await slot_grid(session, booking.practitioner_id, booking.service_id, zone, start)
    return render(
        request,
        "bookings/reschedule.html",
        {"view": view, "b": booking, "grid": grid, "zone": zone, "zones": COMMON_ZONES},
    )


@router.post("/{booking_id}/reschedule")
async def reschedule(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: PageUser,
    start: Annotated[str, Form(max_length=64)] = "",
    tz: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Move the booking; if the new time was just taken, it keeps the old one."""
    back = f"/bookings/{booking_id}/reschedule" + (f"?tz={tz}" if tz else "")
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        return redirect(request, back, "Choose a new time first.", "info")
    if moment.tzinfo is None:
        return redirect(request, back, "Choose a new time first.", "info")
    try:
        async with refusable(session):
            await lifecycle.reschedule(
                session, platform_of(request).cache, user, booking_id, moment
            )
    except SlotUnavailable:
        return redirect(request, back, "That time was just taken; please pick another.", "warning")
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(request, back, exc.message, "error")
    return redirect(request, f"/bookings/{booking_id}", "Your booking has been moved.")
