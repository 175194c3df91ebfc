"""Routes of the bookings context: thin wrappers over ``lifecycle``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from klearkarma.bookings import calendar, lifecycle
from klearkarma.bookings.lifecycle import BookingView, Terms
from klearkarma.bookings.models import BookingStatus
from klearkarma.bookings.schemas import (
    BookingIn,
    BookingOut,
    BookingUpdate,
    BookingWhen,
    CalendarFeedOut,
    CancelIn,
    CompleteIn,
)
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import NotFound
from klearkarma.core.idempotency import replay_or_run
from klearkarma.core.pagination import PageDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok, ok_response
from klearkarma.identity.deps import CurrentPrincipal, Require
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of

router = APIRouter(prefix="/v1/bookings", tags=["bookings"], responses=ERROR_RESPONSES)
feed_router = APIRouter(prefix="/v1/calendar", tags=["bookings"], responses=ERROR_RESPONSES)

Booker = Annotated[Principal, Depends(Require("bookings:create"))]
Reader = Annotated[Principal, Depends(Require("bookings:read"))]
ICS = "text/calendar; charset=utf-8"


def out(view: BookingView) -> BookingOut:
    booking = view.booking
    return BookingOut(
        id=booking.id,
        status=booking.status,
        seeker_id=booking.seeker_id,
        practitioner_id=booking.practitioner_id,
        practitioner_name=view.practitioner_name,
        service_id=booking.service_id,
        service_name=view.service_name,
        mode=booking.mode,
        scheduled_at=booking.scheduled_at,
        ends_at=booking.ends_at,
        duration_minutes=booking.duration_minutes,
        total_amount=booking.total_amount,
        commission_amount=booking.commission_amount,
        currency=booking.currency,
        hold_expires_at=booking.hold_expires_at,
        notes=booking.notes,
        session_notes=booking.session_notes if view.role != "seeker" else None,
        confirmed_at=booking.confirmed_at,
        started_at=booking.started_at,
        completed_at=booking.completed_at,
        cancelled_at=booking.cancelled_at,
        cancellation_reason=booking.cancellation_reason,
        cancelled_by=booking.cancelled_by_role,
        refund_amount=booking.refund_amount,
        created_at=booking.created_at,
    )


def terms_of(request: Request) -> Terms:
    return Terms.from_settings(platform_of(request).settings)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[BookingOut])
async def create(
    body: BookingIn, request: Request, principal: Booker, session: SessionDep
) -> Response:
    """Hold a free slot for 10 minutes while the seeker pays; `Idempotency-Key` makes retries
    safe."""

    async def work() -> Response:
        booking = await lifecycle.create_booking(
            session, platform_of(request).cache, terms_of(request), principal, body
        )
        view = await lifecycle.get_booking(session, principal, booking.id)
        return ok_response(out(view), status.HTTP_201_CREATED)

    return await replay_or_run(session, request, principal.user_id, work)


@router.get("", response_model=Envelope[list[BookingOut]])
async def list_(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[BookingStatus | None, Query(alias="status")] = None,
    when: Annotated[BookingWhen | None, Query()] = None,
) -> Envelope[list[BookingOut]]:
    """The caller's bookings (as seeker or practitioner); admins see all."""
    views, total = await lifecycle.list_bookings(
        session, principal, page, status=status_, when=when
    )
    return ok([out(v) for v in views], page.pagination(total))


@router.get("/calendar-feed", response_model=Envelope[CalendarFeedOut])
async def calendar_feed(
    principal: Reader, request: Request, session: SessionDep
) -> Envelope[CalendarFeedOut]:
    """A private iCalendar URL of the caller's sessions, for Google or Apple Calendar."""
    return ok(CalendarFeedOut(url=await _feed_url(request, session, principal, rotate=False)))


@router.post("/calendar-feed/rotate", response_model=Envelope[CalendarFeedOut])
async def rotate_calendar_feed(
    principal: Reader, request: Request, session: SessionDep
) -> Envelope[CalendarFeedOut]:
    """Replace the feed URL; the old one stops working at once."""
    return ok(CalendarFeedOut(url=await _feed_url(request, session, principal, rotate=True)))


async def _feed_url(
    request: Request, session: SessionDep, principal: Principal, *, rotate: bool
) -> str:
    settings = platform_of(request).settings
    return await calendar.feed_url(
        session,
        settings.secret_key.get_secret_value(),
        settings.public_url,
        principal.user_id,
        rotate=rotate,
    )


@router.get("/{booking_id}", response_model=Envelope[BookingOut])
async def get(
    booking_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[BookingOut]:
    return ok(out(await lifecycle.get_booking(session, principal, booking_id)))


@router.put("/{booking_id}", response_model=Envelope[BookingOut])
async def update(
    booking_id: uuid.UUID,
    body: BookingUpdate,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Envelope[BookingOut]:
    """Reschedule to another free slot (`scheduledAt`) and/or change the seeker's notes."""
    view: BookingView | None = None
    if body.scheduled_at is not None:
        view = await lifecycle.reschedule(
            session, platform_of(request).cache, principal, booking_id, body.scheduled_at
        )
    if body.notes is not None:
        view = await lifecycle.update_notes(session, principal, booking_id, body.notes)
    assert view is not None  # BookingUpdate refuses a body with neither
    return ok(out(view))


async def _cancel(
    booking_id: uuid.UUID,
    body: CancelIn,
    request: Request,
    principal: Principal,
    session: SessionDep,
) -> Envelope[BookingOut]:
    view = await lifecycle.cancel(
        session,
        platform_of(request).cache,
        terms_of(request),
        principal,
        booking_id,
        body.reason,
    )
    return ok(out(view))


@router.post("/{booking_id}/cancel", response_model=Envelope[BookingOut])
async def cancel(
    booking_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    body: CancelIn | None = None,
) -> Envelope[BookingOut]:
    """Cancel with a reason; `refundAmount` is what the cancellation policy gives back."""
    return await _cancel(booking_id, body or CancelIn(), request, principal, session)


@router.delete("/{booking_id}", response_model=Envelope[BookingOut])
async def delete(
    booking_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    body: CancelIn | None = None,
) -> Envelope[BookingOut]:
    """The same as `POST /cancel`."""
    return await _cancel(booking_id, body or CancelIn(), request, principal, session)


@router.post("/{booking_id}/start", response_model=Envelope[BookingOut])
async def start(
    booking_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[BookingOut]:
    """Practitioner: open the session (from 15 minutes before it is due)."""
    return ok(out(await lifecycle.start(session, principal, booking_id)))


@router.post("/{booking_id}/complete", response_model=Envelope[BookingOut])
async def complete(
    booking_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    body: CompleteIn | None = None,
) -> Envelope[BookingOut]:
    """Practitioner: close the session with private session notes."""
    notes = body.notes if body is not None else None
    cache = platform_of(request).cache
    return ok(out(await lifecycle.complete(session, cache, principal, booking_id, notes)))


@router.post("/{booking_id}/no-show", response_model=Envelope[BookingOut])
async def no_show(
    booking_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[BookingOut]:
    """Practitioner: the seeker did not come."""
    return ok(out(await lifecycle.no_show(session, principal, booking_id)))


@router.get("/{booking_id}/calendar.ics", response_class=Response)
async def booking_ics(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """The booking as an iCalendar file."""
    view = await lifecycle.get_booking(session, principal, booking_id)
    body = await calendar.booking_ics(session, view, platform_of(request).settings.public_url)
    return Response(
        body,
        media_type=ICS,
        headers={"Content-Disposition": f'attachment; filename="booking-{booking_id}.ics"'},
    )


@feed_router.get("/{user_id}/{token}.ics", response_class=Response)
async def feed(user_id: uuid.UUID, token: str, request: Request, session: SessionDep) -> Response:
    """A user's private feed; the URL is the credential, so a wrong one is simply not found."""
    settings = platform_of(request).settings
    body = await calendar.feed_ics(
        session, settings.secret_key.get_secret_value(), settings.public_url, user_id, token
    )
    if body is None:
        raise NotFound("Calendar feed not found.")
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})
