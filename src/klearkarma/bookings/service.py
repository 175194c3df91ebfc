"""Queries of the bookings context that other contexts use (busy periods, privacy); the booking
lifecycle itself is in ``lifecycle``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.core.db import as_dict


async def export_for_user(
    session: AsyncSession, user_id: uuid.UUID, practitioner_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """Bookings a person took part in, as seeker or as practitioner."""
    condition = Booking.seeker_id == user_id
    if practitioner_id is not None:
        condition = or_(condition, Booking.practitioner_id == practitioner_id)
    rows = await session.scalars(select(Booking).where(condition).order_by(Booking.scheduled_at))
    return [as_dict(b) for b in rows]


async def erase_for_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Drop the free text a seeker wrote or that was written about them; amounts stay."""
    await session.execute(
        update(Booking)
        .where(Booking.seeker_id == user_id)
        .values(notes=None, session_notes=None, cancellation_reason=None)
    )


LIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


async def busy_periods(
    session: AsyncSession,
    practitioner_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    exclude: uuid.UUID | None = None,
) -> list[tuple[datetime, datetime]]:
    """Periods a practitioner's live bookings occupy between ``start`` and ``end``, leaving out
    ``exclude`` (the booking being moved).

    A pending booking holds its slot only until its hold expires.
    """
    now = datetime.now(UTC)
    rows = await session.execute(
        select(Booking.scheduled_at, Booking.ends_at).where(
            Booking.practitioner_id == practitioner_id,
            Booking.id != exclude if exclude is not None else true(),
            Booking.status.in_(LIVE_STATUSES),
            Booking.scheduled_at < end,
            Booking.ends_at > start,
            or_(
                Booking.status == BookingStatus.CONFIRMED,
                Booking.hold_expires_at.is_(None),
                Booking.hold_expires_at > now,
            ),
        )
    )
    return [(row[0], row[1]) for row in rows]
