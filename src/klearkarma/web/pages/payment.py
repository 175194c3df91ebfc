"""Paying for a held booking, and its receipt.

The page calls the payments context's use cases directly (``create_intent`` then ``confirm``), the
same two steps the REST API exposes as ``/v1/payments/create-intent`` and ``/v1/payments/confirm``.
With the built-in sandbox gateway the card is one of its test payment methods, picked from a
labelled list; a declined card leaves the booking held, so another card can be tried.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Form, Query, Request
from starlette.responses import Response

from klearkarma.bookings import lifecycle
from klearkarma.bookings.models import BookingStatus
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, NotFound
from klearkarma.identity.policy import Principal
from klearkarma.payments import receipts, receipts_api
from klearkarma.payments import service as payments
from klearkarma.payments.models import PaymentStatus
from klearkarma.platform import platform_of
from klearkarma.web.forms import FormErrors, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.rendering import redirect, render
from klearkarma.web.services import account_zone
from klearkarma.web.session import PagePermission

router = page_router("/bookings")
Payer = Annotated[Principal, Depends(PagePermission("payments:create"))]

# The sandbox gateway's test cards (its documented payment methods), as a person would read them.
SANDBOX_CARDS = (
    ("pm_card_visa", "Test Visa •••• 4242 — payment succeeds"),
    ("pm_card_declined", "Test card — declined by the bank"),
    ("pm_card_insufficient_funds", "Test card — insufficient funds"),
    ("pm_card_authentication_required", "Test card — the bank asks you to approve (3-D Secure)"),
)


async def receipt_link(
    request: Request, session: SessionDep, user: Principal, booking_id: uuid.UUID
) -> str | None:
    """The receipt page of the booking's completed payment, if the viewer may see it."""
    payment = await payments.settled_payment_for_booking(session, user, booking_id)
    return f"/bookings/{booking_id}/receipt/{payment.id}" if payment is not None else None


def _pay_page(
    request: Request, view: lifecycle.BookingView, zone: str, **extra: object
) -> Response:
    status_code = int(str(extra.pop("status_code", 200)))
    return render(
        request,
        "bookings/pay.html",
        {
            "view": view,
            "b": view.booking,
            "zone": zone,
            "cards": SANDBOX_CARDS,
            "sandbox": platform_of(request).gateway.name == "sandbox",
            **extra,
        },
        status_code=status_code,
    )


def _payable(view: lifecycle.BookingView) -> bool:
    booking = view.booking
    return (
        view.role == "seeker"
        and booking.status is BookingStatus.PENDING
        and (booking.hold_expires_at is None or booking.hold_expires_at > datetime.now(UTC))
    )


@router.get("/{booking_id}/pay")
async def pay_page(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: Payer
) -> Response:
    """The payment step: amount, how long the slot stays held, the card."""
    view = await lifecycle.get_booking(session, user, booking_id)
    if not _payable(view):
        return redirect(request, f"/bookings/{booking_id}")
    zone = await account_zone(session, user, request.query_params.get("tz"))
    return _pay_page(request, view, zone, method=SANDBOX_CARDS[0][0])


@router.post("/{booking_id}/pay")
async def pay(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Payer,
    payment_method: Annotated[str, Form(max_length=64)] = "",
    tz: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Open (or reuse) the booking's payment intent and confirm it with the chosen card."""
    platform = platform_of(request)
    view = await lifecycle.get_booking(session, user, booking_id)
    zone = await account_zone(session, user, tz or None)
    if not _payable(view):
        return redirect(request, f"/bookings/{booking_id}")
    if platform.gateway.name == "sandbox" and payment_method not in dict(SANDBOX_CARDS):
        errors = FormErrors(fields={"payment_method": "Choose a card."}, summary="Choose a card.")
        return _pay_page(request, view, zone, errors=errors, status_code=422)
    try:
        async with refusable(session):
            intent = await payments.create_intent(session, platform.gateway, user, booking_id)
            result = await payments.confirm(
                session,
                platform.gateway,
                platform.cache,
                user,
                intent.payment.gateway_payment_id,
                payment_method,
            )
    except AppError as exc:
        if isinstance(exc, NotFound):
            raise
        errors = FormErrors(summary=exc.message)
        return _pay_page(
            request, view, zone, errors=errors, method=payment_method, status_code=exc.status_code
        )
    payment = result.payment
    if payment.status is PaymentStatus.FAILED:
        # The failed attempt stays on record (the transaction commits); the slot stays held.
        message = payment.failure_message or "The payment was declined."
        errors = FormErrors(
            fields={"payment_method": message},
            summary=f"{message} Nothing was charged. Try another card.",
        )
        return _pay_page(request, view, zone, errors=errors, method=payment_method, status_code=402)
    if payment.status is PaymentStatus.REQUIRES_ACTION and platform.gateway.name == "sandbox":
        return redirect(request, f"/bookings/{booking_id}/authenticate")
    if payment.status is PaymentStatus.REQUIRES_ACTION and result.next_action_url:
        return redirect(request, result.next_action_url)  # the card issuer's own page
    if payment.status in payments.SETTLED:
        return redirect(
            request,
            f"/bookings/{booking_id}?paid=1",
            "Payment received. Your session is confirmed.",
        )
    return redirect(
        request,
        f"/bookings/{booking_id}",
        "Your payment is being processed; we will email you when it completes.",
        "info",
    )


@router.get("/payment-return")
async def payment_return(
    request: Request,
    session: SessionDep,
    user: Payer,
    payment_intent: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Where the card issuer's 3-D Secure page sends the payer back (Stripe's return_url)."""
    platform = platform_of(request)
    payment = await payments.refresh(
        session, platform.gateway, platform.cache, user, payment_intent
    )
    booking = f"/bookings/{payment.booking_id}" if payment.booking_id else "/bookings"
    if payment.status in payments.SETTLED:
        return redirect(request, f"{booking}?paid=1", "Payment received. You're all set.")
    if payment.status is PaymentStatus.FAILED:
        message = payment.failure_message or "The payment was not approved."
        return redirect(request, f"{booking}/pay", f"{message} Nothing was charged.", "error")
    return redirect(request, booking, "Your payment is being processed; we will email you.", "info")


async def _waiting_payment(
    request: Request, session: SessionDep, user: Principal, booking_id: uuid.UUID
) -> tuple[lifecycle.BookingView, str] | None:
    """The booking and its payment intent when it waits for the bank's extra step."""
    view = await lifecycle.get_booking(session, user, booking_id)
    if not _payable(view) or platform_of(request).gateway.name != "sandbox":
        return None
    for payment in await payments.payments_of_booking(session, user, booking_id):
        if payment.payer_id == user.user_id and payment.status is PaymentStatus.REQUIRES_ACTION:
            return view, payment.gateway_payment_id
    return None


@router.get("/{booking_id}/authenticate")
async def authenticate_page(
    booking_id: uuid.UUID, request: Request, session: SessionDep, user: Payer
) -> Response:
    """The sandbox's stand-in for the bank's 3-D Secure page."""
    waiting = await _waiting_payment(request, session, user, booking_id)
    if waiting is None:
        return redirect(request, f"/bookings/{booking_id}")
    zone = await account_zone(session, user, request.query_params.get("tz"))
    return render(
        request,
        "bookings/authenticate.html",
        {"view": waiting[0], "b": waiting[0].booking, "zone": zone},
    )


@router.post("/{booking_id}/authenticate")
async def authenticate(
    booking_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Payer,
    decision: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Approve (the payment completes and the booking is confirmed) or decline it."""
    platform = platform_of(request)
    waiting = await _waiting_payment(request, session, user, booking_id)
    if waiting is None:
        return redirect(request, f"/bookings/{booking_id}")
    payment = await payments.authenticate_sandbox(
        session,
        platform.gateway,
        platform.cache,
        user,
        waiting[1],
        approve=decision == "approve",
    )
    if payment.status in payments.SETTLED:
        return redirect(
            request,
            f"/bookings/{booking_id}?paid=1",
            "Payment approved. Your session is confirmed.",
        )
    return redirect(
        request,
        f"/bookings/{booking_id}/pay",
        "The bank step was declined, so nothing was charged. Try again or use another card.",
        "error",
    )


@router.get("/{booking_id}/receipt/{payment_id}")
async def receipt(
    booking_id: uuid.UUID,
    payment_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Payer,
) -> Response:
    """The payment's receipt as a printable page (``?format=pdf`` for the PDF)."""
    built = await receipts.build_receipt(session, platform_of(request).settings, user, payment_id)
    if request.query_params.get("format") == "pdf":
        return await receipts_api.pdf_response(built)
    return receipts_api.html_response(built)
