"""Reminder emails 24 hours and 1 hour before a confirmed session.

Each reminder is a job queued for its exact UTC instant, recorded in ``booking_reminders`` so a
reschedule or a cancellation withdraws it in the same transaction. The job still re-checks the
booking when it runs, so a reminder never goes out for a session that moved or ended.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings.models import Booking, BookingReminder, BookingStatus, ReminderKind
from klearkarma.core import jobs

LEADS: dict[ReminderKind, timedelta] = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}
LEAD_WORDS = {ReminderKind.DAY_BEFORE: "24 hours", ReminderKind.HOUR_BEFORE: "1 hour"}


def due_times(starts_at: datetime, now: datetime) -> dict[ReminderKind, datetime]:
    """The reminders still ahead of ``now`` for a session starting at ``starts_at``."""
    due = {kind: starts_at - lead for kind, lead in LEADS.items()}
    return {kind: at for kind, at in due.items() if at > now}


async def schedule(session: AsyncSession, booking: Booking) -> None:
    from klearkarma.bookings import tasks  # the task module imports the lifecycle

    for kind, at in due_times(booking.scheduled_at, datetime.now(UTC)).items():
        job_id = await jobs.enqueue(
            session, tasks.send_reminder, run_at=at, booking_id=booking.id, kind=kind.value
        )
        session.add(BookingReminder(booking_id=booking.id, kind=kind, job_id=job_id, due_at=at))
    await session.flush()


async def withdraw(session: AsyncSession, booking_id: uuid.UUID) -> None:
    rows = await session.scalars(
        select(BookingReminder).where(BookingReminder.booking_id == booking_id)
    )
    for reminder in rows:
        await jobs.cancel(session, reminder.job_id)
    await session.execute(delete(BookingReminder).where(BookingReminder.booking_id == booking_id))


async def pending_for(session: AsyncSession, booking_id: uuid.UUID) -> list[BookingReminder]:
    rows = await session.scalars(
        select(BookingReminder)
        .where(BookingReminder.booking_id == booking_id)
        .order_by(BookingReminder.due_at)
    )
    return list(rows)


async def send_due(session: AsyncSession, booking_id: uuid.UUID, kind: ReminderKind) -> bool:
    """Send one reminder if it is still wanted; False when it was withdrawn meanwhile."""
    from klearkarma.bookings.lifecycle import tell_both  # lifecycle imports this module

    reminder = await session.get(BookingReminder, (booking_id, kind), with_for_update=True)
    booking = await session.get(Booking, booking_id)
    if reminder is None or booking is None or booking.status is not BookingStatus.CONFIRMED:
        return False
    await session.delete(reminder)
    await tell_both(session, booking, "reminder", lead=LEAD_WORDS[kind])
    return True
