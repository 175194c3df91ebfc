"""`hasSlotFrom`/`hasSlotTo`: working time left after blocked times and live bookings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.core.db import Database
from klearkarma.practitioners.models import AvailabilitySchedule, BlockedTime, Practitioner
from tests.factories import make_practitioner, make_service, make_user
from tests.search.helpers import names, search


async def _monday_practitioner(
    session: AsyncSession, name: str, *, start: str = "09:00", end: str = "10:00"
) -> Practitioner:
    practitioner = await make_practitioner(session, display_name=name, timezone="UTC")
    session.add(
        AvailabilitySchedule(
            practitioner_id=practitioner.id,
            timezone="UTC",
            weekly_hours=[{"day": "monday", "start": start, "end": end}],
            overrides=[],
        )
    )
    return practitioner


async def _book(
    session: AsyncSession,
    practitioner: Practitioner,
    at: datetime,
    status: BookingStatus,
    *,
    hold_expires_at: datetime | None = None,
) -> None:
    seeker = await make_user(session)
    service = await make_service(session, practitioner, duration_minutes=60)
    session.add(
        Booking(
            seeker_id=seeker.id,
            practitioner_id=practitioner.id,
            service_id=service.id,
            status=status,
            mode=service.mode,
            scheduled_at=at,
            ends_at=at + timedelta(minutes=60),
            duration_minutes=60,
            total_amount=Decimal("1500.00"),
            commission_amount=Decimal("225.00"),
            hold_expires_at=hold_expires_at,
        )
    )
    await session.flush()


async def test_a_practitioner_whose_only_slot_is_booked_has_no_free_slot(
    client: httpx.AsyncClient, db: Database
) -> None:
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())  # next Monday, 1..7 days ahead
    nine = datetime.combine(monday, time(9), tzinfo=UTC)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        booked = await _monday_practitioner(session, "Booked Person")
        await _book(session, booked, nine, BookingStatus.CONFIRMED)
        held = await _monday_practitioner(session, "Held Person")
        await _book(session, held, nine, BookingStatus.PENDING, hold_expires_at=now + timedelta(1))
        lapsed = await _monday_practitioner(session, "Lapsed Hold Person")
        await _book(
            session, lapsed, nine, BookingStatus.PENDING, hold_expires_at=now - timedelta(1)
        )
        cancelled = await _monday_practitioner(session, "Cancelled Person")
        await _book(session, cancelled, nine, BookingStatus.CANCELLED)
        longer = await _monday_practitioner(session, "Two Hours Person", end="11:00")
        await _book(session, longer, nine, BookingStatus.CONFIRMED)
        blocked = await _monday_practitioner(session, "Blocked Person")
        await make_service(session, blocked, duration_minutes=60)
        session.add(
            BlockedTime(
                practitioner_id=blocked.id,
                starts_at=nine,
                ends_at=nine + timedelta(minutes=30),
                reason="errand",
            )
        )
        await _monday_practitioner(session, "Free Person")

    found = await search(client, hasSlotFrom=str(monday), hasSlotTo=str(monday), limit=50)

    # A confirmed booking and a live hold take the only hour; an expired hold and a cancelled
    # booking do not; a second hour is still free; a half-hour left is shorter than any service.
    assert sorted(names(found)) == [
        "Cancelled Person",
        "Free Person",
        "Lapsed Hold Person",
        "Two Hours Person",
    ]
