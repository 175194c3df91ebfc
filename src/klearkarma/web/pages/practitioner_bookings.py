"""The practitioner's bookings dashboard (today, upcoming, past), one booking with its actions
(start, complete with private notes, no-show, cancel), and the earnings and payouts page.

Bookings are read through ``bookings.lifecycle`` with the signed-in principal, so another
practitioner's booking is a 404 here exactly as in the API; earnings and payouts come from
``payments.payouts`` and ``payments.service.history``, which only ever return the caller's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from starlette.responses import Response

from klearkarma.bookings import lifecycle
from klearkarma.bookings.models import BookingStatus
from klearkarma.bookings.schemas import BookingWhen
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError
from klearkarma.core.pagination import PageParams
from klearkarma.identity import service as identity
from klearkarma.payments import payouts
from klearkarma.payments import service as payments
from klearkarma.platform import platform_of
from klearkarma.web.forms import page_number, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.pages.practitioner import Owner
from klearkarma.web.practice import own_practitioner
from klearkarma.web.rendering import redirect, render
from klearkarma.web.services import account_zone, booking_terms

router = page_router("/practitioner")
PER_PAGE = 25
PAYOUTS_PER_PAGE = 10
START_EARLY = timedelta(minutes=15)  # as lifecycle.start allows


@router.get("/bookings")
async def dashboard(request: Request, session: SessionDep, user: Owner) -> Response:
    """Today's sessions and the upcoming ones (soonest first), or past ones (latest first)."""
    when = BookingWhen.PAST if request.query_params.get("when") == "past" else BookingWhen.UPCOMING
    page = page_number(request)
    views, total = await lifecycle.list_bookings(
        session, user, PageParams(page, PER_PAGE), when=when
    )
    zone = await account_zone(session, user)
    today = datetime.now(ZoneInfo(zone)).date()
    names = await identity.public_names(session, list({v.booking.seeker_id for v in views}))
    todays = [v for v in views if v.booking.scheduled_at.astimezone(ZoneInfo(zone)).date() == today]
    later = [v for v in views if v not in todays]
    return render(
        request,
        "practitioner/bookings.html",
        {
            "when": when.value,
            "today": todays if when is BookingWhen.UPCOMING else [],
            "later": later if when is BookingWhen.UPCOMING else views,
            "names": names,
            "total": total,
            "page": page,
            "pages": (total + PER_PAGE - 1) // PER_PAGE,
            "zone": zone,
            "has_profile": await own_practitioner(session, user) is not None,
            "section": "bookings",
        },
    )


@router.get("/bookings/{booking_id}")
async def booking_page(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    """One session: who, when, the seeker's notes, and what can be done with it now."""
    view = await lifecycle.get_booking(session, user, booking_id)
    booking = view.booking
    now = datetime.now(UTC)
    confirmed = booking.status is BookingStatus.CONFIRMED
    names = await identity.public_names(session, [booking.seeker_id])
    return render(
        request,
        "practitioner/booking.html",
        {
            "view": view,
            "b": booking,
            "seeker_name": names.get(booking.seeker_id, "Former member"),
            "zone": await account_zone(session, user),
            "can_start": confirmed
            and booking.started_at is None
            and now >= booking.scheduled_at - START_EARLY,
            "can_finish": confirmed
            and (booking.started_at is not None or now >= booking.scheduled_at),
            "can_cancel": booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)
            and booking.started_at is None
            and booking.ends_at > now,
            "earning": booking.total_amount - booking.commission_amount,
            "section": "bookings",
        },
    )


def _back(booking_id: uuid.UUID) -> str:
    return f"/practitioner/bookings/{booking_id}"


async def _act(
    request: Request,
    session: SessionDep,
    booking_id: uuid.UUID,
    action: Awaitable[object],
    done: str,
) -> Response:
    """Run one lifecycle change in a savepoint; a refusal (409, 403) comes back as an error
    notice on the booking's page, a booking the caller may not see stays a 404."""
    try:
        async with refusable(session):
            await action
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(request, _back(booking_id), exc.message, "error")
    return redirect(request, _back(booking_id), done)


@router.post("/bookings/{booking_id}/start")
async def start(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    """Open the session (from 15 minutes before it is due)."""
    action = lifecycle.start(session, user, booking_id)
    return await _act(request, session, booking_id, action, "The session has started.")


@router.post("/bookings/{booking_id}/complete")
async def complete(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Owner,
    session_notes: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Close the session with private notes (never shown to the seeker)."""
    cache = platform_of(request).cache
    action = lifecycle.complete(session, cache, user, booking_id, session_notes.strip() or None)
    return await _act(
        request, session, booking_id, action, "Session completed. Your notes are saved."
    )


@router.post("/bookings/{booking_id}/no-show")
async def no_show(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    """The seeker did not come."""
    action = lifecycle.no_show(session, user, booking_id)
    return await _act(request, session, booking_id, action, "Recorded as a no-show.")


@router.post("/bookings/{booking_id}/cancel")
async def cancel(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Owner,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Cancel a session; when the practitioner cancels, the seeker gets everything back."""
    cache, terms = platform_of(request).cache, booking_terms(request)
    action = lifecycle.cancel(session, cache, terms, user, booking_id, reason.strip())
    return await _act(
        request, session, booking_id, action, "The booking is cancelled; the seeker is told."
    )


def _pager(page: int, total: int, per_page: int) -> dict[str, int]:
    return {"page": page, "pages": (total + per_page - 1) // per_page}


@router.get("/earnings")
async def earnings(request: Request, session: SessionDep, user: Owner) -> Response:
    """Available, pending and paid-out earnings; payout history; the payments of your sessions."""
    practitioner = await own_practitioner(session, user)
    if practitioner is None:
        return redirect(request, "/practitioner/onboarding", "Start with your profile.", "info")
    found = await payouts.earnings(session, user, practitioner.currency)
    payouts_page, payments_page = page_number(request, "payouts_page"), page_number(request)
    sent, sent_total = await payouts.list_payouts(
        session, user, PageParams(payouts_page, PAYOUTS_PER_PAGE)
    )
    paid, paid_total = await payments.history(session, user, PageParams(payments_page, PER_PAGE))
    refunds = await payments.refunds_of(session, [p.id for p in paid])
    return render(
        request,
        "practitioner/earnings.html",
        {
            "earnings": found,
            "payouts": sent,
            "payouts_pager": _pager(payouts_page, sent_total, PAYOUTS_PER_PAGE),
            "payments": paid,
            "payments_pager": _pager(payments_page, paid_total, PER_PAGE),
            "refunds": refunds,
            "zone": await account_zone(session, user),
            "section": "earnings",
        },
    )
