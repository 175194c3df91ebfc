"""No double-booking, ever: real concurrent transactions against one practitioner's calendar."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.platform import Platform
from tests.bookings.helpers import book, days_ahead, local, new_seeker, open_calendar
from tests.conftest import client_for

OVERLAPS = text(
    """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.practitioner_id = b.practitioner_id AND a.id < b.id
     AND tstzrange(a.scheduled_at, a.ends_at) && tstzrange(b.scheduled_at, b.ends_at)
    WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
    """
)


async def overlapping_pairs(platform: Platform) -> int:
    async with platform.db.session_factory() as session:
        return int(await session.scalar(OVERLAPS) or 0)


async def test_fifty_seekers_racing_for_one_slot_get_exactly_one_booking(
    committed_platform: Platform,
) -> None:
    async with client_for(committed_platform) as client:
        calendar = await open_calendar(client, committed_platform)
        seekers = [await new_seeker(client) for _ in range(50)]
        at = local(days_ahead(5), 10)

        answers = await asyncio.gather(*(book(client, s, calendar, at) for s in seekers))

    codes = Counter(r.status_code for r in answers)
    assert codes == {201: 1, 409: 49}
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} == {
        "SLOT_UNAVAILABLE"
    }
    assert await overlapping_pairs(committed_platform) == 0


async def test_overlapping_requests_never_both_win(committed_platform: Platform) -> None:
    async with client_for(committed_platform) as client:
        # 60-minute sessions on a 15-minute grid: starts 09:00, 09:15, ... overlap each other.
        calendar = await open_calendar(
            client,
            committed_platform,
            slotIntervalMinutes=15,
            weeklyHours=[
                {"day": d, "start": "09:00", "end": "13:00"}
                for d in (
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                )
            ],
        )
        day = days_ahead(6)
        starts = [local(day, 9) + timedelta(minutes=15 * k) for k in range(13)]  # up to 12:00
        seekers = [await new_seeker(client) for _ in range(39)]
        requests = [
            book(client, seeker, calendar, starts[i % len(starts)])
            for i, seeker in enumerate(seekers)
        ]

        answers = await asyncio.gather(*requests)

    won = [r for r in answers if r.status_code == 201]
    assert {r.status_code for r in answers} <= {201, 409}
    assert 1 <= len(won) <= 4  # four hours hold at most four one-hour sessions
    assert await overlapping_pairs(committed_platform) == 0


async def test_the_database_itself_refuses_overlapping_live_bookings(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    first = (
        await book(client, await new_seeker(client), calendar, local(days_ahead(2), 9))
    ).json()["data"]

    async with platform.db.session_factory() as session:
        original = await session.get(Booking, uuid.UUID(first["id"]))
    assert original is not None
    columns = {
        c: getattr(original, c)
        for c in (
            "seeker_id",
            "practitioner_id",
            "service_id",
            "mode",
            "duration_minutes",
            "total_amount",
            "commission_amount",
            "currency",
        )
    }
    start = original.scheduled_at + timedelta(minutes=30)
    period = {"scheduled_at": start, "ends_at": start + timedelta(hours=1)}

    async with platform.db.transaction() as session:  # a cancelled booking holds nothing
        session.add(Booking(**columns, **period, status=BookingStatus.CANCELLED))
    with pytest.raises(IntegrityError, match="ex_bookings_no_overlap"):
        async with platform.db.transaction() as session:
            session.add(Booking(**columns, **period, status=BookingStatus.CONFIRMED))
            await session.flush()
