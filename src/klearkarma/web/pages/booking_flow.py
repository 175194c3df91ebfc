"""Booking a session: service → slot (on the profile) → review → hold → pay → confirmation.

The review step is a GET (shareable, no state yet); confirming it holds the slot with
``bookings.lifecycle.create_booking`` (a pending booking that keeps the slot for the hold period)
and continues to the payment step in ``pages.bookings``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from klearkarma.bookings import lifecycle
from klearkarma.bookings.lifecycle import SlotUnavailable
from klearkarma.bookings.schemas import BookingIn
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, NotFound
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of
from klearkarma.practitioners import service as practitioners
from klearkarma.practitioners.models import Practitioner, Service
from klearkarma.web.forms import FormErrors, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.pages.practitioner_profile import visitor_zone
from klearkarma.web.rendering import redirect, render
from klearkarma.web.services import booking_terms
from klearkarma.web.session import MaybePageUser, PagePermission, login_url
from klearkarma.web.slots import zone_or

router = page_router("/book")
Booker = Annotated[Principal, Depends(PagePermission("bookings:create"))]


def _start_of(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


async def _chosen(
    session: SessionDep, practitioner_id: uuid.UUID, raw_service: str
) -> tuple[Practitioner, Service]:
    practitioner = await practitioners.require_public(session, practitioner_id)
    _, services = await practitioners.get_practitioner_for(session, practitioner_id, None)
    try:
        wanted = uuid.UUID(raw_service)
    except ValueError as exc:
        raise NotFound("Pick a service from the practitioner's profile.") from exc
    service = next((s for s in services if s.id == wanted), None)
    if service is None:
        raise NotFound("This service is not offered any more.")
    return practitioner, service


def _back_to_times(practitioner_id: uuid.UUID, service_id: uuid.UUID, zone: str) -> str:
    return f"/practitioners/{practitioner_id}?service={service_id}&tz={zone}#availability"


@router.get("/{practitioner_id}/review")
async def review(
    practitioner_id: uuid.UUID, request: Request, session: SessionDep, user: MaybePageUser
) -> Response:
    """Check the details before holding the slot; anonymous visitors are asked to sign in."""
    params = request.query_params
    practitioner, service = await _chosen(session, practitioner_id, params.get("service", ""))
    zone = await visitor_zone(request, session, user, practitioner.timezone)
    start = _start_of(params.get("start", ""))
    if start is None:
        return redirect(
            request,
            _back_to_times(practitioner_id, service.id, zone),
            "Choose a time for your session first.",
            "info",
        )
    here = f"{request.url.path}?{request.url.query}"
    return render(
        request,
        "bookings/review.html",
        {
            "p": practitioner,
            "service": service,
            "start": start,
            "zone": zone,
            "login_url": login_url(here),
            "signup_url": "/signup?next=" + login_url(here).split("next=", 1)[1],
            "change_url": _back_to_times(practitioner_id, service.id, zone),
            "hold_minutes": platform_of(request).settings.booking_hold_minutes,
            "can_book": user is not None and user.can("bookings:create"),
        },
    )


@router.post("/{practitioner_id}")
async def hold(
    practitioner_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Booker,
    service: Annotated[str, Form(max_length=64)] = "",
    start: Annotated[str, Form(max_length=64)] = "",
    tz: Annotated[str, Form(max_length=64)] = "UTC",
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Hold the slot (a pending booking) and go on to pay for it."""
    practitioner, chosen = await _chosen(session, practitioner_id, service)
    zone = zone_or(tz, practitioner.timezone)
    moment = _start_of(start)
    if moment is None:
        return redirect(request, _back_to_times(practitioner_id, chosen.id, zone), "Choose a time.")
    try:
        async with refusable(session):
            body = BookingIn(
                practitioner_id=practitioner_id,
                service_id=chosen.id,
                scheduled_at=moment,
                notes=notes.strip() or None,
            )
            booking = await lifecycle.create_booking(
                session, platform_of(request).cache, booking_terms(request), user, body
            )
    except SlotUnavailable:
        return redirect(
            request,
            _back_to_times(practitioner_id, chosen.id, zone),
            "Sorry, that time was just taken or is no longer offered. Please pick another.",
            "warning",
        )
    except (AppError, ValidationError) as exc:
        return render(
            request,
            "bookings/review.html",
            {
                "p": practitioner,
                "service": chosen,
                "start": moment,
                "zone": zone,
                "notes": notes,
                "errors": FormErrors.of(exc),
                "change_url": _back_to_times(practitioner_id, chosen.id, zone),
                "hold_minutes": platform_of(request).settings.booking_hold_minutes,
                "can_book": True,
            },
            status_code=exc.status_code if isinstance(exc, AppError) else 422,
        )
    return redirect(request, f"/bookings/{booking.id}/pay?tz={zone}")
