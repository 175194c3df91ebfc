"""Routes of the payments context: thin wrappers over ``service``, ``payouts`` and ``plans``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import NotFound, ValidationFailed
from klearkarma.core.http import error_response
from klearkarma.core.idempotency import replay_or_run
from klearkarma.core.pagination import PageDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok, ok_response
from klearkarma.identity.deps import CurrentPrincipal, Require
from klearkarma.identity.policy import Principal
from klearkarma.payments import payouts, plans, service
from klearkarma.payments import tasks as _tasks  # noqa: F401 - registers the cancel handler
from klearkarma.payments.models import Payment, PaymentStatus, Payout, Refund
from klearkarma.payments.schemas import (
    AuthenticateIn,
    ConfirmIn,
    ConfirmOut,
    CreditIn,
    EarningsOut,
    IntentIn,
    IntentOut,
    PaymentOut,
    PayoutOut,
    RefundIn,
    RefundOut,
)
from klearkarma.platform import platform_of

router = APIRouter(prefix="/v1/payments", tags=["payments"], responses=ERROR_RESPONSES)
payouts_router = APIRouter(tags=["payouts"], responses=ERROR_RESPONSES)

Payer = Annotated[Principal, Depends(Require("payments:create"))]


def intent_out(view: service.IntentView) -> IntentOut:
    payment = view.payment
    return IntentOut(
        payment_intent_id=payment.gateway_payment_id,
        client_secret=view.client_secret,
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        gateway=payment.gateway,
    )


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.id,
        payment_id=refund.payment_id,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status,
        reason=refund.reason,
        created_at=refund.created_at,
    )


def payment_out(payment: Payment, refunds: list[Refund]) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        purpose=payment.purpose,
        booking_id=payment.booking_id,
        purchase_id=payment.purchase_id,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        gateway=payment.gateway,
        payment_intent_id=payment.gateway_payment_id,
        payment_method=payment.payment_method,
        refunded_amount=payment.refunded_amount,
        failure_code=payment.failure_code,
        failure_message=payment.failure_message,
        receipt_number=payment.receipt_number,
        receipt_url=f"/v1/payments/{payment.id}/receipt" if payment.receipt_number else None,
        created_at=payment.created_at,
        completed_at=payment.completed_at,
        refunds=[refund_out(r) for r in refunds],
    )


def payout_out(payout: Payout) -> PayoutOut:
    return PayoutOut(
        id=payout.id,
        practitioner_id=payout.practitioner_id,
        amount=payout.amount,
        currency=payout.currency,
        status=payout.status,
        provider=payout.provider,
        failure_reason=payout.failure_reason,
        created_at=payout.created_at,
        paid_at=payout.paid_at,
    )


@router.post(
    "/create-intent", status_code=status.HTTP_201_CREATED, response_model=Envelope[IntentOut]
)
async def create_intent(
    body: IntentIn, request: Request, principal: Payer, session: SessionDep
) -> Response:
    """Open a payment for a pending booking (or a plan); asking again returns the open one."""
    if errors := body.target_errors():
        raise ValidationFailed(errors)
    gateway = platform_of(request).gateway

    async def work() -> Response:
        if body.plan_id is not None:
            view = await plans.purchase(
                session, gateway, principal, body.plan_id, auto_renew=body.auto_renew
            )
        else:
            assert body.booking_id is not None
            view = await service.create_intent(session, gateway, principal, body.booking_id)
        return ok_response(intent_out(view), status.HTTP_201_CREATED)

    return await replay_or_run(session, request, principal.user_id, work)


@router.post("/confirm", response_model=Envelope[ConfirmOut])
async def confirm(
    body: ConfirmIn, request: Request, principal: Payer, session: SessionDep
) -> Response:
    """Charge the intent; a decline is 402 PAYMENT_FAILED and may be retried with another card."""
    platform = platform_of(request)

    async def work() -> Response:
        view = await service.confirm(
            session,
            platform.gateway,
            platform.cache,
            principal,
            body.payment_intent_id,
            body.payment_method,
        )
        payment = view.payment
        if payment.status is PaymentStatus.FAILED:
            return error_response(
                402,
                "PAYMENT_FAILED",
                payment.failure_message or "The payment was declined.",
                details={
                    "paymentId": str(payment.id),
                    "declineCode": payment.failure_code,
                    "bookingStatus": view.booking_status,
                },
            )
        return ok_response(
            ConfirmOut(
                payment_id=payment.id,
                status=payment.status,
                booking_status=view.booking_status,
                next_action_url=view.next_action_url,
            )
        )

    return await replay_or_run(session, request, principal.user_id, work)


@router.post("/refund", status_code=status.HTTP_201_CREATED, response_model=Envelope[RefundOut])
async def refund(
    body: RefundIn, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Admins refund any part of a payment; a payer only what the cancellation policy grants."""
    gateway = platform_of(request).gateway

    async def work() -> Response:
        record = await service.request_refund(
            session, gateway, principal, body.payment_id, body.amount
        )
        return ok_response(refund_out(record), status.HTTP_201_CREATED)

    return await replay_or_run(session, request, principal.user_id, work)


@router.post("/pay-with-credit", response_model=Envelope[ConfirmOut])
async def pay_with_credit(
    body: CreditIn, request: Request, principal: Payer, session: SessionDep
) -> Response:
    """Spend one credit of the caller's package or membership on a pending booking."""

    async def work() -> Response:
        payment = await plans.pay_with_credit(
            session, platform_of(request).cache, principal, body.booking_id, body.purchase_id
        )
        return ok_response(
            ConfirmOut(payment_id=payment.id, status=payment.status, booking_status="confirmed")
        )

    return await replay_or_run(session, request, principal.user_id, work)


@router.get("/history", response_model=Envelope[list[PaymentOut]])
async def history(
    principal: CurrentPrincipal, session: SessionDep, page: PageDep
) -> Envelope[list[PaymentOut]]:
    """The caller's payments, newest first; a practitioner also sees payments for their sessions."""
    rows, total = await service.history(session, principal, page)
    refunds = await service.refunds_of(session, [p.id for p in rows])
    return ok([payment_out(p, refunds[p.id]) for p in rows], page.pagination(total))


@router.get("/{payment_id}", response_model=Envelope[PaymentOut])
async def get_payment(
    payment_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[PaymentOut]:
    payment = await service.get_payment(session, principal, payment_id)
    refunds = await service.refunds_of(session, [payment.id])
    return ok(payment_out(payment, refunds[payment.id]))


@router.post("/webhooks/{gateway}")
async def webhook(gateway: str, request: Request, session: SessionDep) -> Envelope[dict[str, bool]]:
    """Events from the processor: signature and age checked, each event applied once."""
    platform = platform_of(request)
    if gateway != platform.gateway.name:
        raise NotFound("No such payment gateway here.")
    fresh = await service.handle_webhook(
        session,
        platform.gateway,
        platform.cache,
        dict(request.headers),
        await request.body(),
    )
    return ok({"received": True, "duplicate": not fresh})


@router.post("/sandbox/{intent_id}/authenticate", response_model=Envelope[ConfirmOut])
async def sandbox_authenticate(
    intent_id: str,
    body: AuthenticateIn,
    request: Request,
    principal: Payer,
    session: SessionDep,
) -> Envelope[ConfirmOut]:
    """The sandbox's 3-D Secure page: approve (or decline) the extra authentication step."""
    platform = platform_of(request)
    payment = await service.authenticate_sandbox(
        session, platform.gateway, platform.cache, principal, intent_id, approve=body.approve
    )
    return ok(
        ConfirmOut(
            payment_id=payment.id,
            status=payment.status,
            booking_status=await service.booking_status(session, payment),
        )
    )


@payouts_router.get("/v1/payouts", response_model=Envelope[list[PayoutOut]])
async def list_payouts(
    principal: CurrentPrincipal, session: SessionDep, page: PageDep
) -> Envelope[list[PayoutOut]]:
    """The practitioner's payouts, newest first (admins: everyone's)."""
    rows, total = await payouts.list_payouts(session, principal, page)
    return ok([payout_out(p) for p in rows], page.pagination(total))


@payouts_router.get("/v1/practitioners/me/earnings", response_model=Envelope[EarningsOut])
async def earnings(
    principal: Annotated[Principal, Depends(Require("payouts:read"))],
    session: SessionDep,
    currency: Annotated[str, Query(pattern="^[A-Z]{3}$")] = "INR",
) -> Envelope[EarningsOut]:
    """What the caller has earned: pending (sessions within the holding period), available
    (in the next payout) and paid out."""
    found = await payouts.earnings(session, principal, currency)
    return ok(
        EarningsOut(
            available=found.available,
            pending=found.pending,
            paid_out=found.paid_out,
            currency=found.currency,
        )
    )
