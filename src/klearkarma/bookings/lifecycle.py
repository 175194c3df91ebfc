"""The booking lifecycle: book, confirm, move, cancel, start, complete, no-show, expire.

Two guards keep the calendar honest. Every change to a practitioner's calendar first takes a
transaction-scoped advisory lock on that practitioner, so the slot engine's answer (buffers, daily
limit, notice) is computed against a calendar nobody else is changing. Beneath that, the exclusion
constraint ``ex_bookings_no_overlap`` makes PostgreSQL itself refuse two live bookings of one
practitioner that overlap, whatever path wrote them. Each change records its domain event, moves
its reminders and invalidates cached availability in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import emails, reminders
from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.bookings.policy import (
    START_EARLY,
    CancellationPolicy,
    can_move,
    commission,
    money,
    reschedule_allowed,
)
from klearkarma.bookings.schemas import BookingIn, BookingWhen
from klearkarma.config import Settings
from klearkarma.core import events
from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import AppError, Conflict, Forbidden, NotFound
from klearkarma.core.jobs import enqueue
from klearkarma.core.pagination import PageParams
from klearkarma.identity import service as identity
from klearkarma.identity.policy import Principal
from klearkarma.notifications.service import queue_email
from klearkarma.practitioners import availability
from klearkarma.practitioners import service as practitioners
from klearkarma.practitioners.models import Practitioner, Service
from klearkarma.scheduling.slots import is_bookable

RESCHEDULE_NOTICE = timedelta(hours=24)
# Local days reach up to 14 hours either side of UTC; the daily limit needs the whole day.
_DAY_MARGIN = timedelta(days=2)


class SlotUnavailable(AppError):
    status_code = 409
    code = "SLOT_UNAVAILABLE"
    default_message = "That time is no longer available; pick another slot."


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking with the names its readers need and the caller's part in it."""

    booking: Booking
    practitioner_name: str
    service_name: str
    role: str  # "seeker", "practitioner" or "admin"


@dataclass(frozen=True, slots=True)
class Terms:
    """The platform's booking settings, read once from configuration."""

    commission_rate: Decimal
    hold: timedelta
    policy: CancellationPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> Terms:
        return cls(
            commission_rate=settings.commission_rate,
            hold=timedelta(minutes=settings.booking_hold_minutes),
            policy=CancellationPolicy(
                full_refund_before=timedelta(hours=settings.full_refund_hours),
                late_fraction=settings.late_cancel_refund,
            ),
        )


# Reading.


def booking_rows() -> Select[Booking, str, str, uuid.UUID]:
    """Bookings with the practitioner's name, the service's name and the practitioner's user."""
    return (
        select(Booking, Practitioner.display_name, Service.name, Practitioner.user_id)
        .join(Practitioner, Practitioner.id == Booking.practitioner_id)
        .join(Service, Service.id == Booking.service_id)
    )


def _role(principal: Principal, booking: Booking, practitioner_user: uuid.UUID) -> str | None:
    if booking.seeker_id == principal.user_id:
        return "seeker"
    if practitioner_user == principal.user_id:
        return "practitioner"
    return "admin" if principal.is_admin else None


async def get_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, *, lock: bool = False
) -> BookingView:
    """The booking if the caller is its seeker, its practitioner or an admin; 404 otherwise."""
    query = booking_rows().where(Booking.id == booking_id)
    if lock:
        query = query.with_for_update(of=Booking)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise NotFound("Booking not found.")
    booking, name, service_name, practitioner_user = row
    role = _role(principal, booking, practitioner_user)
    if role is None:
        raise NotFound("Booking not found.")
    return BookingView(booking, name, service_name, role)


async def list_bookings(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: BookingStatus | None = None,
    when: BookingWhen | None = None,
    involving: uuid.UUID | None = None,
) -> tuple[list[BookingView], int]:
    """The caller's bookings, as seeker or practitioner; admins see everyone's.

    ``involving`` narrows to one person's bookings (as seeker or practitioner): the admin's search.
    """
    query = booking_rows()
    if not principal.is_admin:
        query = query.where(
            (Booking.seeker_id == principal.user_id) | (Practitioner.user_id == principal.user_id)
        )
    if involving is not None:
        query = query.where((Booking.seeker_id == involving) | (Practitioner.user_id == involving))
    if status is not None:
        query = query.where(Booking.status == status)
    now = datetime.now(UTC)
    if when is BookingWhen.UPCOMING:
        query = query.where(Booking.ends_at > now).order_by(Booking.scheduled_at, Booking.id)
    elif when is BookingWhen.PAST:
        query = query.where(Booking.ends_at <= now).order_by(
            Booking.scheduled_at.desc(), Booking.id.desc()
        )
    else:
        query = query.order_by(Booking.scheduled_at.desc(), Booking.id.desc())
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = await session.execute(query.offset(page.offset).limit(page.limit))
    views = []
    for booking, name, service_name, practitioner_user in rows:
        role = _role(principal, booking, practitioner_user) or "admin"
        views.append(BookingView(booking, name, service_name, role))
    return views, int(total or 0)


# What the payments context needs to know about bookings.


@dataclass(frozen=True, slots=True)
class Settlement:
    """A booking as money sees it: who pays whom, how much, and whether it is over."""

    booking_id: uuid.UUID
    seeker_id: uuid.UUID
    practitioner_id: uuid.UUID
    status: BookingStatus
    total_amount: Decimal
    commission_amount: Decimal
    currency: str
    hold_expires_at: datetime | None
    refund_amount: Decimal | None
    finished_at: datetime | None  # when the session ended, was cancelled or missed


def _settlement(booking: Booking) -> Settlement:
    finished = {
        BookingStatus.COMPLETED: booking.completed_at,
        BookingStatus.NO_SHOW: booking.no_show_at,
        BookingStatus.CANCELLED: booking.cancelled_at,
    }.get(booking.status)
    return Settlement(
        booking_id=booking.id,
        seeker_id=booking.seeker_id,
        practitioner_id=booking.practitioner_id,
        status=booking.status,
        total_amount=booking.total_amount,
        commission_amount=booking.commission_amount,
        currency=booking.currency,
        hold_expires_at=booking.hold_expires_at,
        refund_amount=booking.refund_amount,
        finished_at=finished,
    )


async def settlements(
    session: AsyncSession, booking_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Settlement]:
    rows = await session.scalars(select(Booking).where(Booking.id.in_(booking_ids)))
    return {booking.id: _settlement(booking) for booking in rows}


async def hold_for_payment(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> Settlement:
    """The caller's own pending booking, locked while it is paid for; 409 when not payable."""
    view = await get_booking(session, principal, booking_id, lock=True)
    booking = view.booking
    if view.role != "seeker":
        raise Forbidden("Only the seeker who booked pays for a booking.")
    if booking.status is not BookingStatus.PENDING:
        raise Conflict(
            f"This booking is {booking.status.value}; there is nothing to pay.",
            details={"status": booking.status.value},
        )
    if booking.hold_expires_at is not None and booking.hold_expires_at <= datetime.now(UTC):
        raise Conflict("The hold on this slot has expired; please book it again.")
    return _settlement(booking)


async def service_of_booking(session: AsyncSession, booking_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Booking.service_id).where(Booking.id == booking_id))


async def settlement_for_update(session: AsyncSession, booking_id: uuid.UUID) -> Settlement:
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise NotFound("Booking not found.")
    return _settlement(booking)


# Guards.


async def lock_calendar(session: AsyncSession, practitioner_id: uuid.UUID) -> None:
    """Serialise calendar changes of one practitioner until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"calendar:{practitioner_id}"},
    )


async def expire_overdue_holds(
    session: AsyncSession, cache: CacheBackend, practitioner_id: uuid.UUID | None = None
) -> int:
    """Cancel pending bookings whose hold ran out (all of them, or one practitioner's)."""
    query = select(Booking).where(
        Booking.status == BookingStatus.PENDING,
        Booking.hold_expires_at <= datetime.now(UTC),
    )
    if practitioner_id is not None:
        query = query.where(Booking.practitioner_id == practitioner_id)
    overdue = list(await session.scalars(query.with_for_update(skip_locked=True)))
    for booking in overdue:
        await _cancel(session, cache, booking, by="system", reason="hold_expired", actor=None)
    return len(overdue)


async def expire_hold(session: AsyncSession, cache: CacheBackend, booking_id: uuid.UUID) -> bool:
    """Cancel one booking as ``hold_expired`` if it is still pending past its hold."""
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if (
        booking is None
        or booking.status is not BookingStatus.PENDING
        or booking.hold_expires_at is None
        or booking.hold_expires_at > datetime.now(UTC)
    ):
        return False
    await _cancel(session, cache, booking, by="system", reason="hold_expired", actor=None)
    return True


async def _check_slot(
    session: AsyncSession,
    practitioner_id: uuid.UUID,
    start: datetime,
    duration: timedelta,
    *,
    moving: uuid.UUID | None = None,
) -> None:
    rules = await availability.rules_for(session, practitioner_id)
    if rules is None:
        raise SlotUnavailable("This practitioner has not published availability yet.")
    busy = await availability.busy_for(
        session,
        practitioner_id,
        start - _DAY_MARGIN,
        start + _DAY_MARGIN,
        exclude_booking=moving,
    )
    if not is_bookable(rules, busy, start=start, duration=duration, now=datetime.now(UTC)):
        raise SlotUnavailable()


async def _flush_or_taken(session: AsyncSession) -> None:
    """Flush; the no-overlap constraint firing means someone else holds the time."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if "ex_bookings_no_overlap" in str(exc.orig):
            raise SlotUnavailable() from exc
        raise


def _transition(booking: Booking, target: BookingStatus) -> None:
    if not can_move(booking.status, target):
        raise Conflict(
            f"A {booking.status.value} booking cannot become {target.value}.",
            details={"status": booking.status.value},
        )
    booking.status = target


def _snapshot(booking: Booking) -> dict[str, object]:
    return {
        "status": booking.status.value,
        "practitionerId": booking.practitioner_id,
        "seekerId": booking.seeker_id,
        "serviceId": booking.service_id,
        "scheduledAt": booking.scheduled_at,
        "endsAt": booking.ends_at,
        "totalAmount": booking.total_amount,
        "currency": booking.currency,
    }


# Changes.


async def create_booking(
    session: AsyncSession,
    cache: CacheBackend,
    terms: Terms,
    principal: Principal,
    body: BookingIn,
) -> Booking:
    """Hold a slot the engine offers for this service; price and commission are the server's."""
    practitioner = await practitioners.require_public(session, body.practitioner_id)
    if practitioner.user_id == principal.user_id:
        raise Forbidden("You cannot book your own sessions.")
    service = await session.scalar(
        select(Service).where(
            Service.id == body.service_id,
            Service.practitioner_id == practitioner.id,
            Service.is_active.is_(True),
        )
    )
    if service is None:
        raise NotFound("Service not found for this practitioner.")
    start = body.scheduled_at.astimezone(UTC)
    duration = timedelta(minutes=service.duration_minutes)
    now = datetime.now(UTC)

    await lock_calendar(session, practitioner.id)
    await expire_overdue_holds(session, cache, practitioner.id)
    await _check_slot(session, practitioner.id, start, duration)

    rate = (
        practitioner.commission_rate
        if practitioner.commission_rate is not None
        else terms.commission_rate
    )
    total = money(service.price)
    booking = Booking(
        seeker_id=principal.user_id,
        practitioner_id=practitioner.id,
        service_id=service.id,
        status=BookingStatus.PENDING,
        mode=service.mode,
        scheduled_at=start,
        ends_at=start + duration,
        duration_minutes=service.duration_minutes,
        total_amount=total,
        commission_rate=rate,
        commission_amount=commission(total, rate),
        currency=service.currency,
        notes=body.notes,
        hold_expires_at=now + terms.hold,
    )
    session.add(booking)
    await _flush_or_taken(session)
    await events.record(
        session, "booking.created", booking.id, _snapshot(booking), actor_id=principal.user_id
    )
    from klearkarma.bookings import tasks  # the task module imports this one

    await enqueue(session, tasks.expire_hold, run_at=booking.hold_expires_at, booking_id=booking.id)
    if total == 0:  # nothing to pay: a free session is confirmed at once
        await confirm_booking(session, cache, booking.id)
    practitioners.bump_availability(session, cache, practitioner.id)
    return booking


async def confirm_booking(
    session: AsyncSession, cache: CacheBackend, booking_id: uuid.UUID
) -> Booking:
    """Pending → confirmed, when its payment succeeds (the payments context calls this).

    Idempotent: confirming a confirmed booking changes nothing.
    """
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise NotFound("Booking not found.")
    if booking.status is BookingStatus.CONFIRMED:
        return booking
    _transition(booking, BookingStatus.CONFIRMED)
    booking.confirmed_at = datetime.now(UTC)
    booking.hold_expires_at = None
    await session.flush()
    await reminders.schedule(session, booking)
    await events.record(session, "booking.confirmed", booking.id, _snapshot(booking))
    await tell_both(session, booking, "confirmed")
    practitioners.bump_availability(session, cache, booking.practitioner_id)
    return booking


async def reschedule(
    session: AsyncSession,
    cache: CacheBackend,
    principal: Principal,
    booking_id: uuid.UUID,
    new_start: datetime,
) -> BookingView:
    """Move a live booking to another free slot, atomically: it never holds two slots, and if
    the new one is taken it keeps the old."""
    view = await get_booking(session, principal, booking_id)
    booking = view.booking
    await lock_calendar(session, booking.practitioner_id)
    await session.refresh(booking, with_for_update=True)
    if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        raise Conflict(f"A {booking.status.value} booking cannot be moved.")
    now = datetime.now(UTC)
    if not reschedule_allowed(booking.scheduled_at, now, view.role, RESCHEDULE_NOTICE):
        raise Conflict("This booking can no longer be moved; cancel it instead.")
    start = new_start.astimezone(UTC)
    if start == booking.scheduled_at:
        return view
    duration = timedelta(minutes=booking.duration_minutes)
    await expire_overdue_holds(session, cache, booking.practitioner_id)
    await _check_slot(session, booking.practitioner_id, start, duration, moving=booking.id)
    previous = booking.scheduled_at
    booking.scheduled_at, booking.ends_at = start, start + duration
    booking.reschedule_count += 1
    await _flush_or_taken(session)
    if booking.status is BookingStatus.CONFIRMED:
        await reminders.withdraw(session, booking.id)
        await reminders.schedule(session, booking)
        await tell_both(session, booking, "rescheduled")
    await events.record(
        session,
        "booking.rescheduled",
        booking.id,
        {**_snapshot(booking), "previousScheduledAt": previous},
        actor_id=principal.user_id,
    )
    practitioners.bump_availability(session, cache, booking.practitioner_id)
    return view


async def update_notes(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, notes: str
) -> BookingView:
    view = await get_booking(session, principal, booking_id, lock=True)
    if view.role == "practitioner":
        raise Forbidden("The booking notes are the seeker's; use the session notes instead.")
    view.booking.notes = notes
    await session.flush()
    return view


async def cancel(
    session: AsyncSession,
    cache: CacheBackend,
    terms: Terms,
    principal: Principal,
    booking_id: uuid.UUID,
    reason: str,
) -> BookingView:
    """Cancel with a reason; the policy decides the refund the payments context carries out."""
    view = await get_booking(session, principal, booking_id, lock=True)
    await _cancel(
        session,
        cache,
        view.booking,
        by=view.role,
        reason=reason,
        actor=principal.user_id,
        policy=terms.policy,
    )
    return view


async def _cancel(
    session: AsyncSession,
    cache: CacheBackend,
    booking: Booking,
    *,
    by: str,
    reason: str,
    actor: uuid.UUID | None,
    policy: CancellationPolicy | None = None,
) -> None:
    was_paid = booking.status is BookingStatus.CONFIRMED and booking.total_amount > 0
    _transition(booking, BookingStatus.CANCELLED)
    now = datetime.now(UTC)
    booking.cancelled_at = now
    booking.cancelled_by = actor
    booking.cancelled_by_role = by
    booking.cancellation_reason = reason or None
    booking.hold_expires_at = None
    booking.refund_amount = (
        (policy or CancellationPolicy()).refund_amount(
            booking.total_amount, booking.scheduled_at, now, by
        )
        if was_paid
        else Decimal("0.00")
    )
    await session.flush()
    await reminders.withdraw(session, booking.id)
    await events.record(
        session,
        "booking.cancelled",
        booking.id,
        {**_snapshot(booking), "by": by, "reason": reason, "refundAmount": booking.refund_amount},
        actor_id=actor,
    )
    if was_paid:
        await tell_both(session, booking, "cancelled")
    practitioners.bump_availability(session, cache, booking.practitioner_id)


async def _practitioner_action(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> BookingView:
    view = await get_booking(session, principal, booking_id, lock=True)
    if view.role == "seeker":
        raise Forbidden("Only the practitioner runs the session.")
    return view


async def start(session: AsyncSession, principal: Principal, booking_id: uuid.UUID) -> BookingView:
    view = await _practitioner_action(session, principal, booking_id)
    booking = view.booking
    if booking.status is not BookingStatus.CONFIRMED:
        raise Conflict(f"A {booking.status.value} booking cannot be started.")
    now = datetime.now(UTC)
    if now < booking.scheduled_at - START_EARLY:
        raise Conflict("The session can be opened 15 minutes before it starts.")
    booking.started_at = booking.started_at or now
    await session.flush()
    await events.record(
        session, "booking.started", booking.id, _snapshot(booking), actor_id=principal.user_id
    )
    return view


async def _finish(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    target: BookingStatus,
    too_early: str,
) -> BookingView:
    """Close a due session one way or the other (practitioner or admin)."""
    view = await _practitioner_action(session, principal, booking_id)
    booking = view.booking
    now = datetime.now(UTC)
    if booking.status is BookingStatus.CONFIRMED and now < booking.scheduled_at:
        raise Conflict(too_early)
    _transition(booking, target)
    if target is BookingStatus.COMPLETED:
        booking.completed_at = now
    else:
        booking.no_show_at = now
    await session.flush()
    await reminders.withdraw(session, booking.id)
    await events.record(
        session,
        f"booking.{target.value}",
        booking.id,
        _snapshot(booking),
        actor_id=principal.user_id,
    )
    return view


async def complete(
    session: AsyncSession,
    cache: CacheBackend,
    principal: Principal,
    booking_id: uuid.UUID,
    notes: str | None,
) -> BookingView:
    view = await _finish(
        session,
        principal,
        booking_id,
        BookingStatus.COMPLETED,
        "A session can be completed once it has started.",
    )
    view.booking.session_notes = notes
    await session.flush()
    await practitioners.record_completed_session(session, cache, view.booking.practitioner_id)
    return view


async def no_show(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> BookingView:
    return await _finish(
        session,
        principal,
        booking_id,
        BookingStatus.NO_SHOW,
        "A no-show can be recorded once the session was due to start.",
    )


# Telling people.


async def tell_both(session: AsyncSession, booking: Booking, what: str, *, lead: str = "") -> None:
    """Email the seeker and the practitioner, each with the time in their own zone."""
    seeker = await identity.get_user(session, booking.seeker_id)
    practitioner = await session.get(Practitioner, booking.practitioner_id)
    service = await session.get(Service, booking.service_id)
    if seeker is None or practitioner is None or service is None:
        return
    host = await identity.get_user(session, practitioner.user_id)
    parties = [(seeker, practitioner.display_name)]
    if host is not None:
        parties.append((host, seeker.full_name))
    for person, other in parties:
        at = emails.when(booking.scheduled_at, person.timezone)
        args = (person.email, person.first_name, service.name, other, at)
        if what == "confirmed":
            mail = emails.confirmed(*args)
        elif what == "rescheduled":
            mail = emails.rescheduled(*args)
        elif what == "reminder":
            mail = emails.reminder(*args, lead)
        else:
            mail = emails.cancelled(*args, booking.cancellation_reason or "")
        await queue_email(session, mail)
