"""Admin bookings: search (by booking id or a person's email), one booking with its payments,
and refunds — full or partial — through ``payments.service.request_refund`` with the admin's
principal, exactly as ``POST /v1/payments/refund`` does."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from klearkarma.bookings import lifecycle
from klearkarma.bookings.models import BookingStatus
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, NotFound, ValidationFailed
from klearkarma.core.pagination import PageParams
from klearkarma.identity import service as identity
from klearkarma.identity.policy import Principal
from klearkarma.payments import service as payments
from klearkarma.payments.models import PaymentStatus
from klearkarma.platform import platform_of
from klearkarma.web.forms import FormErrors, page_number, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.pages.admin import Admin
from klearkarma.web.rendering import money, redirect, render
from klearkarma.web.services import account_zone

router = page_router("/admin")
PER_PAGE = 20
REFUNDABLE = (PaymentStatus.COMPLETED, PaymentStatus.PARTIALLY_REFUNDED)


@router.get("/bookings")
async def bookings(request: Request, session: SessionDep, user: Admin) -> Response:
    """All bookings, newest first; ``q`` is a booking id (opens it) or a seeker's or
    practitioner's email (their bookings)."""
    q = (request.query_params.get("q") or "").strip()[:200]
    try:
        status = BookingStatus(request.query_params.get("status") or "")
    except ValueError:
        status = None
    involving: uuid.UUID | None = None
    not_found = False
    if q:
        try:
            booking_id = uuid.UUID(q)
        except ValueError:
            person = await identity.get_user_by_email(session, q)
            not_found = person is None
            involving = person.id if person is not None else None
        else:
            try:
                await lifecycle.get_booking(session, user, booking_id)
            except NotFound:
                not_found = True
            else:
                return redirect(request, f"/admin/bookings/{booking_id}")
    page = page_number(request)
    views: list[lifecycle.BookingView] = []
    total = 0
    if not not_found:
        views, total = await lifecycle.list_bookings(
            session, user, PageParams(page, PER_PAGE), status=status, involving=involving
        )
    names = await identity.public_names(session, list({v.booking.seeker_id for v in views}))
    return render(
        request,
        "admin/bookings.html",
        {
            "views": views,
            "names": names,
            "q": q,
            "status": status.value if status else "",
            "statuses": [s.value for s in BookingStatus],
            "not_found": not_found,
            "total": total,
            "page": page,
            "pages": (total + PER_PAGE - 1) // PER_PAGE,
            "zone": await account_zone(session, user),
            "section": "bookings",
        },
    )


async def _booking_page(
    request: Request,
    session: AsyncSession,
    user: Principal,
    booking_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    view = await lifecycle.get_booking(session, user, booking_id)
    paid = await payments.payments_of_booking(session, user, booking_id)
    refundable = next((p for p in paid if p.status in REFUNDABLE), None)
    names = await identity.public_names(session, [view.booking.seeker_id])
    seeker = await identity.get_user(session, view.booking.seeker_id)
    return render(
        request,
        "admin/booking.html",
        {
            "view": view,
            "b": view.booking,
            "seeker_name": names.get(view.booking.seeker_id, "Former member"),
            "seeker_email": seeker.email if seeker is not None else "",
            "payments": paid,
            "refunds": await payments.refunds_of(session, [p.id for p in paid]),
            "refundable": refundable,
            "remaining": refundable.amount - refundable.refunded_amount if refundable else None,
            "zone": await account_zone(session, user),
            "section": "bookings",
            **extra,
        },
        status_code=status_code,
    )


@router.get("/bookings/{booking_id}")
async def booking_page(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: Admin
) -> Response:
    """One booking: both parties, status history, payments, refunds, and the refund form."""
    return await _booking_page(request, session, user, booking_id)


def _amount(text: str) -> Decimal | None:
    """Blank means "everything still refundable"; anything else must be an amount."""
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed([("amount", "Enter an amount such as 500 or 500.50.")]) from None
    if not value.is_finite():
        raise ValidationFailed([("amount", "Enter an amount such as 500 or 500.50.")])
    return value


@router.post("/bookings/{booking_id}/refund")
async def refund(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Admin,
    payment_id: Annotated[str, Form(max_length=40)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Refund all or part of the booking's payment (the gateway is asked at once)."""
    await lifecycle.get_booking(session, user, booking_id)  # 404 for an unknown booking
    try:
        async with refusable(session):
            paid = {
                str(p.id): p for p in await payments.payments_of_booking(session, user, booking_id)
            }
            if payment_id not in paid:
                raise ValidationFailed([("amount", "This booking has no such payment.")])
            record = await payments.request_refund(
                session,
                platform_of(request).gateway,
                user,
                paid[payment_id].id,
                _amount(amount),
            )
    except AppError as exc:
        return await _booking_page(
            request,
            session,
            user,
            booking_id,
            errors=FormErrors.of(exc),
            values={"amount": amount},
            status_code=exc.status_code,
        )
    notice = f"{money(record.amount, record.currency)} refunded ({record.status.value})."
    return redirect(request, f"/admin/bookings/{booking_id}", notice)
