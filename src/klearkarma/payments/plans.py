"""Packages and memberships: sessions paid for up front, spent one credit per booking.

Money paid for a plan is prepaid credit (a liability), not yet anyone's revenue. Spending a
credit on a booking moves one credit's value from ``prepaid_credits`` to the platform's
commission and the practitioner's pending earnings, exactly as a paid booking would; cancelling
such a booking returns the credit and undoes those entries. A membership renews each period by
charging the card it was bought with; unused credits roll over while it stays active. Cancelling
a membership stops renewal; its credits last until the period ends.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import lifecycle as bookings
from klearkarma.core import events
from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import Conflict, Forbidden, NotFound
from klearkarma.core.ids import uuid7
from klearkarma.identity.policy import Principal
from klearkarma.payments import emails, ledger
from klearkarma.payments.gateways.base import PaymentGateway
from klearkarma.payments.ledger import credit, debit
from klearkarma.payments.models import (
    Payment,
    PaymentPurpose,
    PaymentStatus,
    Plan,
    PlanKind,
    PlanPurchase,
    PurchaseStatus,
    Refund,
    RefundStatus,
)
from klearkarma.payments.schemas import PlanIn
from klearkarma.practitioners import service as practitioners

if TYPE_CHECKING:
    from klearkarma.payments.service import IntentView

CENT = Decimal("0.01")
CREDITS_GATEWAY = "credits"


async def create_plan(session: AsyncSession, principal: Principal, body: PlanIn) -> Plan:
    """A practitioner offers a package or membership for one of their own services."""
    practitioner_id = await practitioners.practitioner_id_of_user(session, principal.user_id)
    if practitioner_id is None:
        raise Forbidden("Only practitioners offer plans.")
    service = await practitioners.service_of(session, practitioner_id, body.service_id)
    if service is None:
        raise NotFound("Service not found among yours.")
    plan = Plan(
        practitioner_id=practitioner_id,
        service_id=service.id,
        kind=body.kind,
        name=body.name,
        sessions=body.sessions,
        period_days=body.period_days,
        price=body.price,
        currency=service.currency,
    )
    session.add(plan)
    await session.flush()
    return plan


async def list_plans(session: AsyncSession, practitioner_id: uuid.UUID) -> list[Plan]:
    rows = await session.scalars(
        select(Plan)
        .where(Plan.practitioner_id == practitioner_id, Plan.is_active.is_(True))
        .order_by(Plan.price)
    )
    return list(rows)


async def purchase(
    session: AsyncSession,
    gateway: PaymentGateway,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    auto_renew: bool,
) -> IntentView:
    """Open a payment for a plan; the purchase becomes active when the payment succeeds."""
    plan = await session.get(Plan, plan_id)
    if plan is None or not plan.is_active:
        raise NotFound("Plan not found.")
    await practitioners.require_public(session, plan.practitioner_id)
    bought = PlanPurchase(
        id=uuid7(),
        plan_id=plan.id,
        seeker_id=principal.user_id,
        status=PurchaseStatus.PENDING,
        credits_total=0,
        credits_used=0,
        unit_value=(plan.price / plan.sessions).quantize(CENT, ROUND_DOWN),
        auto_renew=auto_renew and plan.kind is PlanKind.MEMBERSHIP,
        details={},
    )
    session.add(bought)
    await session.flush()
    return await _open_for(session, gateway, bought, plan)


async def _open_for(
    session: AsyncSession, gateway: PaymentGateway, bought: PlanPurchase, plan: Plan
) -> IntentView:
    """A payment of the plan's price for this purchase (the first period or a renewal)."""
    from klearkarma.payments import service

    return await service.open_payment(
        session,
        gateway,
        purpose=PaymentPurpose.PLAN,
        payer=bought.seeker_id,
        amount=plan.price,
        commission_amount=Decimal("0.00"),
        currency=plan.currency,
        purchase_id=bought.id,
        practitioner_id=plan.practitioner_id,
    )


async def activate(session: AsyncSession, payment: Payment) -> None:
    """The plan's payment succeeded: start (or renew) its period and add its credits."""
    bought = await session.get(PlanPurchase, payment.purchase_id, with_for_update=True)
    assert bought is not None
    plan = await session.get(Plan, bought.plan_id)
    assert plan is not None
    now = datetime.now(UTC)
    start = max(bought.period_end or now, now)
    bought.period_start = start
    bought.period_end = start + timedelta(days=plan.period_days)
    bought.credits_total += plan.sessions
    bought.payment_method = payment.payment_method
    if bought.status is PurchaseStatus.PENDING:
        bought.status = PurchaseStatus.ACTIVE
    await session.flush()
    await events.record(
        session, "plan.activated", bought.id, {"credits": plan.sessions, "until": bought.period_end}
    )


def _credit_value(bought: PlanPurchase, plan: Plan) -> Decimal:
    """One credit's share of the price; the last credit of a period takes the rounding paise."""
    used_in_period = bought.credits_used % plan.sessions
    if used_in_period == plan.sessions - 1:
        return plan.price - bought.unit_value * (plan.sessions - 1)
    return bought.unit_value


async def pay_with_credit(
    session: AsyncSession,
    cache: CacheBackend,
    principal: Principal,
    booking_id: uuid.UUID,
    purchase_id: uuid.UUID,
) -> Payment:
    """Confirm the caller's pending booking with one credit of their plan for its service."""
    booking = await bookings.hold_for_payment(session, principal, booking_id)
    bought = await session.get(PlanPurchase, purchase_id, with_for_update=True)
    if bought is None or bought.seeker_id != principal.user_id:
        raise NotFound("Plan purchase not found.")
    plan = await session.get(Plan, bought.plan_id)
    assert plan is not None
    now = datetime.now(UTC)
    if bought.status not in (PurchaseStatus.ACTIVE, PurchaseStatus.CANCELLED) or (
        bought.period_end is not None and bought.period_end <= now
    ):
        raise Conflict("This plan is not active.")
    if bought.credits_used >= bought.credits_total:
        raise Conflict("No credits left on this plan.")
    if plan.practitioner_id != booking.practitioner_id or not await _same_service(
        session, booking_id, plan
    ):
        raise Conflict("This plan is for another service.")
    value = _credit_value(bought, plan)
    rate = booking.commission_amount / booking.total_amount if booking.total_amount else Decimal(0)
    payment = Payment(
        id=uuid7(),
        purpose=PaymentPurpose.CREDIT,
        booking_id=booking_id,
        purchase_id=bought.id,
        payer_id=principal.user_id,
        practitioner_id=plan.practitioner_id,
        gateway=CREDITS_GATEWAY,
        gateway_payment_id=f"credit:{booking_id}:{bought.credits_used}",
        amount=value,
        commission_amount=(value * rate).quantize(CENT),
        currency=plan.currency,
        status=PaymentStatus.COMPLETED,
        payment_method=f"plan:{bought.id}",
        refunded_amount=Decimal("0.00"),
        completed_at=now,
    )
    session.add(payment)
    bought.credits_used += 1
    await session.flush()
    await ledger.post(
        session,
        ledger.Posting(
            key=f"capture:{payment.id}",
            kind="credit.spend",
            currency=payment.currency,
            lines=[
                debit(ledger.PREPAID, value),
                credit(ledger.REVENUE, payment.commission_amount),
                credit(ledger.pending_of(plan.practitioner_id), value - payment.commission_amount),
            ],
            payment_id=payment.id,
        ),
    )
    await bookings.confirm_booking(session, cache, booking_id)
    await events.record(
        session, "payment.completed", payment.id, {"purpose": "credit", "bookingId": booking_id}
    )
    return payment


async def _same_service(session: AsyncSession, booking_id: uuid.UUID, plan: Plan) -> bool:
    return await bookings.service_of_booking(session, booking_id) == plan.service_id


async def return_credit(session: AsyncSession, payment: Payment) -> None:
    """A credit-paid booking was cancelled: the credit goes back and the earnings with it."""
    if payment.status is not PaymentStatus.COMPLETED or payment.purchase_id is None:
        return
    assert payment.practitioner_id is not None
    bought = await session.get(PlanPurchase, payment.purchase_id, with_for_update=True)
    assert bought is not None
    record = Refund(
        id=uuid7(),
        payment_id=payment.id,
        amount=payment.amount,
        commission_amount=payment.commission_amount,
        currency=payment.currency,
        status=RefundStatus.SUCCEEDED,
        reason="credit_returned",
    )
    session.add(record)
    payment.refunded_amount = payment.amount
    payment.status = PaymentStatus.REFUNDED
    bought.credits_used -= 1
    await session.flush()
    earnings = ledger.earnings_of(payment)
    await ledger.post(
        session,
        ledger.Posting(
            key=f"refund:{record.id}",
            kind="credit.return",
            currency=payment.currency,
            lines=[
                debit(ledger.REVENUE, payment.commission_amount),
                debit(earnings, payment.amount - payment.commission_amount),
                credit(ledger.PREPAID, payment.amount),
            ],
            payment_id=payment.id,
            refund_id=record.id,
        ),
    )


async def my_purchases(
    session: AsyncSession, principal: Principal
) -> list[tuple[PlanPurchase, Plan]]:
    rows = await session.execute(
        select(PlanPurchase, Plan)
        .join(Plan, Plan.id == PlanPurchase.plan_id)
        .where(PlanPurchase.seeker_id == principal.user_id)
        .order_by(PlanPurchase.created_at.desc())
    )
    return [(bought, plan) for bought, plan in rows]


async def cancel_membership(
    session: AsyncSession, principal: Principal, purchase_id: uuid.UUID
) -> tuple[PlanPurchase, Plan]:
    """Stop renewing; the credits already paid for last until the period ends."""
    bought = await session.get(PlanPurchase, purchase_id, with_for_update=True)
    if bought is None or bought.seeker_id != principal.user_id:
        raise NotFound("Plan purchase not found.")
    plan = await session.get(Plan, bought.plan_id)
    assert plan is not None
    if bought.status is not PurchaseStatus.ACTIVE:
        raise Conflict(f"This plan is {bought.status.value}.")
    bought.auto_renew = False
    bought.status = PurchaseStatus.CANCELLED
    await session.flush()
    await events.record(session, "plan.cancelled", bought.id, {}, actor_id=principal.user_id)
    return bought, plan


async def renew_due(
    session: AsyncSession, gateway: PaymentGateway, cache: CacheBackend, *, batch: int = 100
) -> int:
    """Charge memberships whose period ended with the card they were bought with."""
    from klearkarma.payments import service

    now = datetime.now(UTC)
    due = list(
        await session.scalars(
            select(PlanPurchase)
            .where(
                PlanPurchase.status == PurchaseStatus.ACTIVE,
                PlanPurchase.auto_renew.is_(True),
                PlanPurchase.period_end <= now,
            )
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    renewed = 0
    for bought in due:
        if not bought.payment_method:
            bought.status = PurchaseStatus.EXPIRED
            continue
        plan = await session.get(Plan, bought.plan_id)
        assert plan is not None
        payment = (await _open_for(session, gateway, bought, plan)).payment
        intent = await gateway.confirm_intent(
            payment.gateway_payment_id,
            bought.payment_method,
            idempotency_key=f"renew:{bought.id}:{bought.period_end}",
        )
        await service.apply_intent(session, gateway, cache, payment, intent)
        if payment.status is PaymentStatus.COMPLETED:
            renewed += 1
        else:  # the card was refused: the membership lapses
            bought.status = PurchaseStatus.EXPIRED
            await events.record(session, "plan.renewal_failed", bought.id, {})
            await emails.renewal_declined(session, payment, plan.name)
    await session.flush()
    return renewed


async def expire_ended(session: AsyncSession) -> int:
    """Mark plans past their period that will not renew as expired."""
    now = datetime.now(UTC)
    ended = list(
        await session.scalars(
            select(PlanPurchase).where(
                PlanPurchase.status.in_((PurchaseStatus.ACTIVE, PurchaseStatus.CANCELLED)),
                PlanPurchase.auto_renew.is_(False),
                PlanPurchase.period_end <= now,
            )
        )
    )
    for bought in ended:
        bought.status = PurchaseStatus.EXPIRED
    await session.flush()
    return len(ended)
