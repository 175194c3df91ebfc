"""Demo money: the named seeker's sessions with the named practitioner, and a sample of the
generated marketplace's, paid through the sandbox gateway exactly as a card payment would be,
so that payment history, receipts, earnings, payouts and the ledger all have data to explore."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import lifecycle
from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.bookings.policy import commission
from klearkarma.identity.models import User, UserType
from klearkarma.identity.policy import Principal
from klearkarma.payments import payouts, service
from klearkarma.payments.models import PaymentPurpose
from klearkarma.platform import Platform
from klearkarma.practitioners.models import Practitioner, Service

SAMPLE = 60
# Days from now of Meera's sessions with Ananya, and what became of each.
NAMED_SESSIONS = (
    (-21, "completed"),
    (-10, "completed"),
    (-3, "completed"),
    (4, "ahead"),
    (6, "cancelled"),
)


async def pay(session: AsyncSession, platform: Platform, booking: Booking) -> None:
    """Charge a booking's seeker with the sandbox's test Visa card."""
    view = await service.open_payment(
        session,
        platform.gateway,
        purpose=PaymentPurpose.BOOKING,
        payer=booking.seeker_id,
        amount=booking.total_amount,
        commission_amount=booking.commission_amount,
        currency=booking.currency,
        booking_id=booking.id,
        practitioner_id=booking.practitioner_id,
    )
    intent = await platform.gateway.confirm_intent(
        view.payment.gateway_payment_id, "pm_card_visa", idempotency_key=f"demo:{booking.id}"
    )
    await service.apply_intent(session, platform.gateway, platform.cache, view.payment, intent)


async def _named_sessions(
    session: AsyncSession, platform: Platform, seeker_email: str, practitioner_email: str
) -> None:
    seeker = await session.scalar(select(User.id).where(User.email == seeker_email))
    practitioner = await session.scalar(
        select(Practitioner)
        .join(User, User.id == Practitioner.user_id)
        .where(User.email == practitioner_email)
    )
    if seeker is None or practitioner is None:
        return
    offered = list(
        await session.scalars(
            select(Service)
            .where(Service.practitioner_id == practitioner.id)
            .order_by(Service.price)
        )
    )
    rate = platform.settings.commission_rate
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for index, (days, fate) in enumerate(NAMED_SESSIONS):
        offer = offered[index % len(offered)]
        start = now + timedelta(days=days, hours=3)
        booking = Booking(
            id=uuid.uuid4(),
            seeker_id=seeker,
            practitioner_id=practitioner.id,
            service_id=offer.id,
            status=BookingStatus.PENDING,
            mode=offer.mode,
            scheduled_at=start,
            ends_at=start + timedelta(minutes=offer.duration_minutes),
            duration_minutes=offer.duration_minutes,
            total_amount=offer.price,
            commission_rate=rate,
            commission_amount=commission(offer.price, rate),
            currency=offer.currency,
            notes="Demo session: a gentle start, please.",
            hold_expires_at=now + timedelta(hours=1),
        )
        session.add(booking)
        await session.flush()
        await pay(session, platform, booking)  # pending -> confirmed, as a real payment does
        if fate == "completed":
            booking.status = BookingStatus.COMPLETED
            booking.started_at = start
            booking.completed_at = booking.ends_at
        elif fate == "cancelled":
            as_seeker = Principal(
                user_id=seeker,
                email=seeker_email,
                user_type=UserType.SEEKER,
                permissions=frozenset(),
                session_id=uuid.uuid4(),
            )
            terms = lifecycle.Terms.from_settings(platform.settings)
            await lifecycle.cancel(
                session, platform.cache, terms, as_seeker, booking.id, "My plans changed"
            )
            await service.refund_cancelled_booking(session, platform.gateway, booking.id)
    await session.flush()


async def add_demo_payments(
    platform: Platform, *, seeker_email: str, practitioner_email: str
) -> None:
    async with platform.db.transaction() as session:
        await _named_sessions(session, platform, seeker_email, practitioner_email)
        sample = await session.scalars(
            select(Booking)
            .where(
                Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.COMPLETED)),
                Booking.total_amount > 0,
                Booking.notes.is_distinct_from("Demo session: a gentle start, please."),
            )
            .order_by(Booking.scheduled_at)
            .limit(SAMPLE)
        )
        for booking in list(sample):
            await pay(session, platform, booking)
        # Older earnings released and paid out, newer ones released after the payout run, the
        # rest still held: each practitioner's earnings show all three states.
        holding = timedelta(days=platform.settings.payout_holding_days)
        await payouts.release_due(session, holding * 2)
        for payout in await payouts.create_payouts(
            session, platform.payouts.name, platform.settings.payout_minimum
        ):
            await payouts.send(session, platform.payouts, payout.id)
        await payouts.release_due(session, holding)
