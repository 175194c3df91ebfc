"""Collecting money: intents, confirmation, webhooks and refunds, in one state machine.

The processor is the source of truth about whether money moved. Whatever tells us something
changed (the confirm call, a webhook, the reconciliation job), we fetch the intent itself and
apply what it says through ``apply_intent``; applying the same state twice changes nothing. So a
duplicated or reordered webhook cannot charge twice or undo a payment, and a crash between the
charge and our commit is healed by the next webhook. Every payment and refund is locked
(``FOR UPDATE``) while it changes, which also serialises a webhook behind a confirm in flight.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import structlog
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import lifecycle as bookings
from klearkarma.bookings.models import BookingStatus
from klearkarma.core import events
from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from klearkarma.core.ids import uuid7
from klearkarma.core.pagination import PageParams
from klearkarma.identity.policy import Principal
from klearkarma.payments import emails, ledger
from klearkarma.payments.gateways.base import GatewayRefund, Intent, PaymentGateway
from klearkarma.payments.ledger import credit, debit
from klearkarma.payments.models import (
    LedgerTransaction,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
    WebhookEvent,
)
from klearkarma.practitioners import service as practitioners

log = structlog.get_logger("klearkarma.payments")

CENT = Decimal("0.01")
OPEN = (PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED)
SETTLED = (PaymentStatus.COMPLETED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
# The one state machine: where each status may go next.
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.REQUIRES_PAYMENT_METHOD: frozenset(
        {
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.PROCESSING,
            PaymentStatus.COMPLETED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELLED,
        }
    ),
    PaymentStatus.REQUIRES_ACTION: frozenset(
        {PaymentStatus.COMPLETED, PaymentStatus.FAILED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.COMPLETED, PaymentStatus.FAILED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.FAILED: frozenset(
        {
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.PROCESSING,
            PaymentStatus.COMPLETED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELLED,
        }
    ),
    PaymentStatus.COMPLETED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.COMPLETED}
    ),
    # A refund bounced: the money is the payment's again.
    PaymentStatus.REFUNDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.COMPLETED}),
    PaymentStatus.CANCELLED: frozenset({PaymentStatus.COMPLETED}),  # money arrived anyway
}


class PaymentFailed(AppError):
    status_code = 402
    code = "PAYMENT_FAILED"
    default_message = "The payment was declined."


def move(payment: Payment, target: PaymentStatus) -> None:
    if target is payment.status:
        return
    if target not in TRANSITIONS[payment.status]:
        raise Conflict(f"A {payment.status.value} payment cannot become {target.value}.")
    payment.status = target


@dataclass(frozen=True, slots=True)
class IntentView:
    payment: Payment
    client_secret: str | None


@dataclass(frozen=True, slots=True)
class ConfirmView:
    payment: Payment
    booking_status: str | None
    next_action_url: str | None


# Reading.


async def _payment_for(
    session: AsyncSession, principal: Principal, payment: Payment | None
) -> Payment:
    """The payment when the caller paid it, is its practitioner, or is an admin; else 404."""
    if payment is None:
        raise NotFound("Payment not found.")
    if payment.payer_id == principal.user_id or principal.is_admin:
        return payment
    if payment.practitioner_id is not None:
        mine = await practitioners.practitioner_id_of_user(session, principal.user_id)
        if mine == payment.practitioner_id:
            return payment
    raise NotFound("Payment not found.")


async def get_payment(
    session: AsyncSession, principal: Principal, payment_id: uuid.UUID
) -> Payment:
    return await _payment_for(session, principal, await session.get(Payment, payment_id))


async def refunds_of(
    session: AsyncSession, payment_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Refund]]:
    found: dict[uuid.UUID, list[Refund]] = {pid: [] for pid in payment_ids}
    rows = await session.scalars(
        select(Refund).where(Refund.payment_id.in_(payment_ids)).order_by(Refund.created_at)
    )
    for refund in rows:
        found[refund.payment_id].append(refund)
    return found


async def settled_payment_for_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> Payment | None:
    """The booking's money payment that completed (it has a receipt), if the caller may see it."""
    payment = await session.scalar(
        select(Payment)
        .where(
            Payment.booking_id == booking_id,
            Payment.status.in_(SETTLED),
            Payment.receipt_number.is_not(None),
        )
        .order_by(Payment.completed_at.desc())
        .limit(1)
    )
    if payment is None:
        return None
    try:
        return await _payment_for(session, principal, payment)
    except NotFound:
        return None


async def history(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[Payment], int]:
    """The caller's payments: what a seeker paid, what a practitioner was paid; admins see all."""
    query = select(Payment)
    if not principal.is_admin:
        mine = await practitioners.practitioner_id_of_user(session, principal.user_id)
        who = Payment.payer_id == principal.user_id
        query = query.where(who | (Payment.practitioner_id == mine) if mine else who)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Payment.created_at.desc(), Payment.id.desc())
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)


async def payments_of_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> list[Payment]:
    """The payments made for one booking that the caller may see, newest first."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.booking_id == booking_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
    )
    visible = []
    for payment in rows:
        try:
            visible.append(await _payment_for(session, principal, payment))
        except NotFound:
            continue
    return visible


# Intents.


async def create_intent(
    session: AsyncSession, gateway: PaymentGateway, principal: Principal, booking_id: uuid.UUID
) -> IntentView:
    """An intent for the caller's pending booking; asking again returns the open one."""
    booking = await bookings.hold_for_payment(session, principal, booking_id)
    if booking.total_amount <= 0:
        raise Conflict("This booking is free; there is nothing to pay.")
    existing = await session.scalar(
        select(Payment)
        .where(Payment.booking_id == booking_id, Payment.gateway == gateway.name)
        .order_by(Payment.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if existing is not None and existing.status in OPEN and existing.amount == booking.total_amount:
        intent = await gateway.retrieve_intent(existing.gateway_payment_id)
        return IntentView(existing, intent.client_secret)
    if existing is not None and existing.status in SETTLED:
        raise Conflict("This booking is already paid.")
    return await open_payment(
        session,
        gateway,
        purpose=PaymentPurpose.BOOKING,
        payer=principal.user_id,
        amount=booking.total_amount,
        commission_amount=booking.commission_amount,
        currency=booking.currency,
        booking_id=booking.booking_id,
        practitioner_id=booking.practitioner_id,
    )


async def open_payment(
    session: AsyncSession,
    gateway: PaymentGateway,
    *,
    purpose: PaymentPurpose,
    payer: uuid.UUID,
    amount: Decimal,
    commission_amount: Decimal,
    currency: str,
    booking_id: uuid.UUID | None = None,
    purchase_id: uuid.UUID | None = None,
    practitioner_id: uuid.UUID | None = None,
) -> IntentView:
    payment_id = uuid7()
    reference = f"booking:{booking_id}" if booking_id else f"purchase:{purchase_id}"
    intent = await gateway.create_intent(
        amount=amount,
        currency=currency,
        reference=reference,
        idempotency_key=f"payment:{payment_id}",
        metadata={"paymentId": str(payment_id), "reference": reference},
    )
    payment = Payment(
        id=payment_id,
        purpose=purpose,
        booking_id=booking_id,
        purchase_id=purchase_id,
        payer_id=payer,
        practitioner_id=practitioner_id,
        gateway=gateway.name,
        gateway_payment_id=intent.id,
        amount=amount,
        commission_amount=commission_amount,
        currency=currency,
        status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
        refunded_amount=Decimal("0.00"),
    )
    session.add(payment)
    await session.flush()
    await events.record(
        session,
        "payment.created",
        payment.id,
        {"amount": amount, "currency": currency, "reference": reference},
        actor_id=payer,
    )
    return IntentView(payment, intent.client_secret)


async def _locked_by_intent(
    session: AsyncSession, gateway: PaymentGateway, intent_id: str
) -> Payment | None:
    return await session.scalar(
        select(Payment)
        .where(Payment.gateway == gateway.name, Payment.gateway_payment_id == intent_id)
        .with_for_update()
    )


async def _payers_intent(
    session: AsyncSession, gateway: PaymentGateway, principal: Principal, intent_id: str
) -> Payment:
    """The caller's own payment for ``intent_id``, locked; 404 for anyone else's."""
    payment = await _locked_by_intent(session, gateway, intent_id)
    if payment is None or payment.payer_id != principal.user_id:
        raise NotFound("Payment not found.")
    return payment


async def confirm(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    principal: Principal,
    intent_id: str,
    payment_method: str,
) -> ConfirmView:
    """Charge the caller's intent with ``payment_method``; confirming twice charges once."""
    payment = await _payers_intent(session, gateway, principal, intent_id)
    if payment.status in OPEN or payment.status is PaymentStatus.PROCESSING:
        if payment.booking_id is not None:
            booking = await bookings.settlement_for_update(session, payment.booking_id)
            if booking.status is not BookingStatus.PENDING:
                raise Conflict(
                    f"This booking is {booking.status.value}; it can no longer be paid.",
                    details={"bookingStatus": booking.status.value},
                )
            if booking.hold_expires_at is not None and booking.hold_expires_at <= _now():
                raise Conflict("The hold on this slot has expired; please book it again.")
        intent = await gateway.confirm_intent(
            intent_id, payment_method, idempotency_key=f"confirm:{payment.id}:{uuid.uuid4().hex}"
        )
        await apply_intent(session, gateway, cache, payment, intent)
    elif payment.status is PaymentStatus.CANCELLED:
        raise Conflict("This payment was cancelled.")
    next_action = None
    if payment.status is PaymentStatus.REQUIRES_ACTION:
        next_action = (await gateway.retrieve_intent(intent_id)).next_action_url
    return ConfirmView(payment, await booking_status(session, payment), next_action)


async def booking_status(session: AsyncSession, payment: Payment) -> str | None:
    if payment.booking_id is None:
        return None
    found = await bookings.settlements(session, [payment.booking_id])
    return found[payment.booking_id].status.value


async def apply_intent(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    payment: Payment,
    intent: Intent,
) -> None:
    """Bring a locked payment in line with the processor's intent (idempotent)."""
    if payment.status in SETTLED:
        return  # money that arrived stays arrived; later events about it change nothing
    if intent.status == "succeeded":
        await _settle(session, gateway, cache, payment, intent)
    elif intent.status == "requires_action":
        move(payment, PaymentStatus.REQUIRES_ACTION)
    elif intent.status == "processing":
        move(payment, PaymentStatus.PROCESSING)
    elif intent.status == "failed":
        move(payment, PaymentStatus.FAILED)
        payment.failure_code = intent.failure_code
        payment.failure_message = intent.failure_message
        payment.payment_method = intent.payment_method
        await events.record(session, "payment.failed", payment.id, {"code": intent.failure_code})
    elif intent.status == "canceled":
        move(payment, PaymentStatus.CANCELLED)
    await session.flush()


async def _settle(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    payment: Payment,
    intent: Intent,
) -> None:
    if intent.amount != payment.amount or intent.currency != payment.currency:
        log.error("payment.amount_mismatch", payment=str(payment.id), intent=intent.id)
        raise Conflict("The processor's amount does not match this payment.")
    move(payment, PaymentStatus.COMPLETED)
    now = _now()
    payment.completed_at = now
    payment.payment_method = intent.payment_method
    payment.failure_code = payment.failure_message = None
    number = await session.scalar(text("SELECT nextval('receipt_numbers')"))
    payment.receipt_number = f"KK-{now:%Y}-{number:07d}"
    await session.flush()
    await ledger.post(session, capture_posting(payment))
    await events.record(
        session,
        "payment.completed",
        payment.id,
        {"amount": payment.amount, "currency": payment.currency, "purpose": payment.purpose},
    )
    await emails.paid(session, payment)
    if payment.purpose is PaymentPurpose.BOOKING and payment.booking_id is not None:
        booking = await bookings.settlement_for_update(session, payment.booking_id)
        if booking.status is BookingStatus.PENDING:
            await bookings.confirm_booking(session, cache, payment.booking_id)
        elif booking.status is BookingStatus.CANCELLED:
            # The hold ran out while the money was on its way: give it all back.
            await refund(
                session,
                gateway,
                payment,
                payment.amount - payment.refunded_amount,
                reason="booking_unavailable",
            )
    elif payment.purpose is PaymentPurpose.PLAN and payment.purchase_id is not None:
        from klearkarma.payments import plans

        await plans.activate(session, payment)


def capture_posting(payment: Payment) -> ledger.Posting:
    """Money in: the processor holds it; the commission is ours, the rest the practitioner's
    (or, for a plan, held as prepaid credit until sessions are booked with it)."""
    if payment.purpose is PaymentPurpose.PLAN or payment.practitioner_id is None:
        lines = [debit(ledger.CLEARING, payment.amount), credit(ledger.PREPAID, payment.amount)]
    else:
        lines = [
            debit(ledger.CLEARING, payment.amount),
            credit(ledger.REVENUE, payment.commission_amount),
            credit(
                ledger.pending_of(payment.practitioner_id),
                payment.amount - payment.commission_amount,
            ),
        ]
    return ledger.Posting(
        key=f"capture:{payment.id}",
        kind="payment.capture",
        currency=payment.currency,
        lines=lines,
        payment_id=payment.id,
    )


# Refunds.


def commission_share(payment: Payment, amount: Decimal, returned_so_far: Decimal) -> Decimal:
    """The platform's commission given back with ``amount``: in proportion, and exactly all of
    what is left when the refund empties the payment (so rounding never strands a paisa)."""
    if payment.amount == 0:
        return Decimal("0.00")
    if payment.refunded_amount + amount >= payment.amount:
        return payment.commission_amount - returned_so_far
    share = (payment.commission_amount * amount / payment.amount).quantize(CENT, ROUND_HALF_UP)
    return min(share, payment.commission_amount - returned_so_far)


async def refund(
    session: AsyncSession,
    gateway: PaymentGateway,
    payment: Payment,
    amount: Decimal,
    *,
    reason: str,
    requested_by: uuid.UUID | None = None,
) -> Refund:
    """Give ``amount`` of a settled, locked payment back, with its share of the commission."""
    amount = amount.quantize(CENT)
    remaining = payment.amount - payment.refunded_amount
    if payment.status not in SETTLED:
        raise Conflict("Only a completed payment can be refunded.")
    if amount <= 0 or amount > remaining:
        raise ValidationFailed(
            [("amount", f"Refund between 0.01 and {remaining} {payment.currency}.")]
        )
    share = commission_share(payment, amount, await _commission_returned(session, payment.id))
    record = Refund(
        id=uuid7(),
        payment_id=payment.id,
        amount=amount,
        commission_amount=share,
        currency=payment.currency,
        status=RefundStatus.PENDING,
        reason=reason,
        requested_by=requested_by,
    )
    await _grant(session, payment, record)
    answer = await gateway.refund(
        payment.gateway_payment_id,
        amount,
        payment.currency,
        idempotency_key=f"refund:{record.id}",
    )
    record.gateway_refund_id = answer.id
    await session.flush()
    await apply_refund(session, payment, record, answer)
    await events.record(
        session,
        "payment.refunded",
        payment.id,
        {"refundId": record.id, "amount": amount, "reason": reason},
        actor_id=requested_by,
    )
    if record.status is not RefundStatus.FAILED:
        await emails.refunded(session, payment, amount)
    return record


async def _grant(session: AsyncSession, payment: Payment, record: Refund) -> None:
    """Record a refund against its locked payment and move its share out of the earnings."""
    session.add(record)
    payment.refunded_amount += record.amount
    move(
        payment,
        PaymentStatus.REFUNDED
        if payment.refunded_amount == payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED,
    )
    await session.flush()
    await ledger.post(session, _refund_allocation(payment, record))


def _refund_allocation(payment: Payment, record: Refund) -> ledger.Posting:
    lines = [credit(ledger.REFUNDS, record.amount)]
    if payment.purpose is PaymentPurpose.PLAN or payment.practitioner_id is None:
        lines.append(debit(ledger.PREPAID, record.amount))
    else:
        earnings = ledger.earnings_of(payment)
        lines += [
            debit(ledger.REVENUE, record.commission_amount),
            debit(earnings, record.amount - record.commission_amount),
        ]
    return ledger.Posting(
        key=f"refund:{record.id}",
        kind="refund.allocate",
        currency=payment.currency,
        lines=lines,
        payment_id=payment.id,
        refund_id=record.id,
    )


async def apply_refund(
    session: AsyncSession, payment: Payment, record: Refund, answer: GatewayRefund
) -> None:
    """Settle or unwind a refund as the processor reports it (idempotent)."""
    if record.status is not RefundStatus.PENDING or answer.status == "pending":
        return
    if answer.status == "succeeded":
        record.status = RefundStatus.SUCCEEDED
        await ledger.post(
            session,
            ledger.Posting(
                key=f"refund-paid:{record.id}",
                kind="refund.paid",
                currency=record.currency,
                lines=[
                    debit(ledger.REFUNDS, record.amount),
                    credit(ledger.CLEARING, record.amount),
                ],
                payment_id=payment.id,
                refund_id=record.id,
            ),
        )
    else:  # the bank bounced it: the money is the payment's again, and the ledger says so
        record.status = RefundStatus.FAILED
        allocation = await session.scalar(
            select(LedgerTransaction.id).where(LedgerTransaction.key == f"refund:{record.id}")
        )
        if allocation is not None:
            await ledger.reverse(session, allocation, memo="refund failed at the processor")
        payment.refunded_amount -= record.amount
        move(
            payment,
            PaymentStatus.COMPLETED
            if payment.refunded_amount == 0
            else PaymentStatus.PARTIALLY_REFUNDED,
        )
        await events.record(session, "payment.refund_failed", payment.id, {"refundId": record.id})
    await session.flush()


async def request_refund(
    session: AsyncSession,
    gateway: PaymentGateway,
    principal: Principal,
    payment_id: uuid.UUID,
    amount: Decimal | None,
) -> Refund:
    """Admins refund any part of a payment; a payer only what the cancellation policy owes."""
    payment = await _payment_for(
        session, principal, await session.get(Payment, payment_id, with_for_update=True)
    )
    if principal.can("refunds:create"):
        return await refund(
            session,
            gateway,
            payment,
            amount if amount is not None else payment.amount - payment.refunded_amount,
            reason="admin",
            requested_by=principal.user_id,
        )
    if payment.payer_id != principal.user_id:
        raise Forbidden("Only the platform refunds a payment you received; cancel the booking.")
    due = await _policy_refund_due(session, payment)
    if due <= 0:
        raise Forbidden(
            "Refunds follow the cancellation policy: cancel the booking to get one back."
        )
    if amount is not None and amount > due:
        raise ValidationFailed([("amount", f"The policy refunds at most {due}.")])
    return await refund(
        session,
        gateway,
        payment,
        amount or due,
        reason="cancellation",
        requested_by=principal.user_id,
    )


async def _policy_refund_due(session: AsyncSession, payment: Payment) -> Decimal:
    if payment.booking_id is None or payment.status not in SETTLED:
        return Decimal("0.00")
    booking = (await bookings.settlements(session, [payment.booking_id]))[payment.booking_id]
    if booking.status is not BookingStatus.CANCELLED or not booking.refund_amount:
        return Decimal("0.00")
    done = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id,
            Refund.reason == "cancellation",
            Refund.status != RefundStatus.FAILED,
        )
    )
    return min(booking.refund_amount - Decimal(done or 0), payment.amount - payment.refunded_amount)


async def refund_cancelled_booking(
    session: AsyncSession, gateway: PaymentGateway, booking_id: uuid.UUID
) -> Refund | None:
    """Carry out the refund the cancellation policy granted (the job behind every cancel)."""
    payment = await session.scalar(
        select(Payment)
        .where(Payment.booking_id == booking_id, Payment.status.in_(SETTLED))
        .with_for_update()
    )
    if payment is None:
        return None
    if payment.purpose is PaymentPurpose.CREDIT:
        from klearkarma.payments import plans

        await plans.return_credit(session, payment)
        return None
    due = await _policy_refund_due(session, payment)
    if due <= 0:
        return None
    return await refund(session, gateway, payment, due, reason="cancellation")


# Webhooks.


async def handle_webhook(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    headers: dict[str, str],
    body: bytes,
) -> bool:
    """Verify and apply one webhook; False when it was a redelivery (nothing done)."""
    event = gateway.verify_webhook(headers, body)
    fresh = await session.scalar(
        insert(WebhookEvent)
        .values(gateway=gateway.name, event_id=event.id, type=event.type, received_at=_now())
        .on_conflict_do_nothing()
        .returning(WebhookEvent.event_id)
    )
    if fresh is None:
        return False
    if event.intent_id is None:
        return True
    payment = await _locked_by_intent(session, gateway, event.intent_id)
    if payment is None:
        log.warning("payment.webhook_unknown_intent", gateway=gateway.name, type=event.type)
        return True
    if event.refund_id is not None:
        await _apply_refund_event(session, gateway, payment, event.refund_id)
    else:
        await apply_intent(
            session, gateway, cache, payment, await gateway.retrieve_intent(event.intent_id)
        )
    return True


async def _apply_refund_event(
    session: AsyncSession, gateway: PaymentGateway, payment: Payment, refund_id: str
) -> None:
    answer = await gateway.retrieve_refund(refund_id)
    record = await session.scalar(
        select(Refund).where(Refund.gateway_refund_id == refund_id).with_for_update()
    )
    if record is None:
        # A refund made at the processor that our records missed (a crash, or the dashboard).
        if answer.status == "failed" or payment.status not in SETTLED:
            return
        log.warning("payment.refund_adopted", payment=str(payment.id), refund=refund_id)
        record = Refund(
            id=uuid7(),
            payment_id=payment.id,
            amount=answer.amount,
            commission_amount=commission_share(
                payment, answer.amount, await _commission_returned(session, payment.id)
            ),
            currency=answer.currency,
            status=RefundStatus.PENDING,
            reason="processor",
            gateway_refund_id=refund_id,
        )
        await _grant(session, payment, record)
    await apply_refund(session, payment, record, answer)


async def _commission_returned(session: AsyncSession, payment_id: uuid.UUID) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.commission_amount), 0)).where(
            Refund.payment_id == payment_id, Refund.status != RefundStatus.FAILED
        )
    )
    return Decimal(total or 0)


async def refresh(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    principal: Principal,
    intent_id: str,
) -> Payment:
    """Re-read the payer's intent and apply it: where the card issuer's page sends the payer
    back, so the page shows the outcome without waiting for the webhook."""
    payment = await _payers_intent(session, gateway, principal, intent_id)
    await apply_intent(session, gateway, cache, payment, await gateway.retrieve_intent(intent_id))
    return payment


async def authenticate_sandbox(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    principal: Principal,
    intent_id: str,
    *,
    approve: bool,
) -> Payment:
    """The sandbox's stand-in for the bank's 3-D Secure page, for the payer only."""
    from klearkarma.payments.gateways.sandbox import SandboxGateway

    if not isinstance(gateway, SandboxGateway):
        raise NotFound("The sandbox is not the active payment gateway.")
    payment = await _payers_intent(session, gateway, principal, intent_id)
    intent = await gateway.authenticate(intent_id, approve=approve)
    await apply_intent(session, gateway, cache, payment, intent)
    return payment


def _now() -> datetime:
    return datetime.now(UTC)
