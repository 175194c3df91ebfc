"""Jobs of the bookings context: expiring unpaid holds and sending reminders."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from klearkarma.bookings import lifecycle, reminders
from klearkarma.bookings.models import ReminderKind
from klearkarma.core.jobs import task

if TYPE_CHECKING:
    from klearkarma.platform import Platform


@task("bookings.expire_hold", queue="bookings")
async def expire_hold(platform: Platform, *, booking_id: str) -> None:
    """Free the slot of a booking left unpaid past its hold (queued for that instant)."""
    async with platform.db.transaction() as session:
        await lifecycle.expire_hold(session, platform.cache, uuid.UUID(booking_id))


@task("bookings.sweep_holds", queue="bookings", periodic="* * * * *", retry=False)
async def sweep_holds(platform: Platform, *, timestamp: int) -> None:
    """Catch any hold whose own job was lost: every minute, expire whatever is overdue."""
    async with platform.db.transaction() as session:
        await lifecycle.expire_overdue_holds(session, platform.cache)


@task("bookings.send_reminder", queue="email")
async def send_reminder(platform: Platform, *, booking_id: str, kind: str) -> None:
    async with platform.db.transaction() as session:
        await reminders.send_due(session, uuid.UUID(booking_id), ReminderKind(kind))
