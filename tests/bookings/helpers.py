"""A practitioner's calendar and seekers who book it, built through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from klearkarma.bookings import lifecycle
from klearkarma.bookings.models import Booking
from klearkarma.platform import Platform
from tests.identity.helpers import admin_headers, bearer, register
from tests.practitioners.helpers import verified_with_rules


@dataclass(frozen=True)
class Calendar:
    owner: dict[str, str]
    admin: dict[str, str]
    practitioner_id: str
    service_id: str
    zone: str


async def open_calendar(client: httpx.AsyncClient, platform: Platform, **rules: Any) -> Calendar:
    """Kolkata 09:00-12:00 every day, 60-minute sessions on a 60-minute grid, unless overridden."""
    from tests.practitioners.helpers import RULES

    admin = await admin_headers(client, platform.db)
    owner, pid, sid = await verified_with_rules(
        client, platform.db, rules={**RULES, **rules}, admin=admin
    )
    return Calendar(owner, admin, pid, sid, rules.get("timezone", RULES["timezone"]))


async def new_seeker(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await register(client))["tokens"]["accessToken"])


def local(day: date, hour: int, zone: str = "Asia/Kolkata", minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))


def days_ahead(n: int, zone: str = "Asia/Kolkata") -> date:
    return (datetime.now(ZoneInfo(zone)) + timedelta(days=n)).date()


async def book(
    client: httpx.AsyncClient,
    seeker: dict[str, str],
    calendar: Calendar,
    at: datetime,
    **headers: str,
) -> httpx.Response:
    return await client.post(
        "/v1/bookings",
        json={
            "practitionerId": calendar.practitioner_id,
            "serviceId": calendar.service_id,
            "scheduledAt": at.isoformat(),
            "notes": "First session",
        },
        headers={**seeker, **headers},
    )


async def confirm(platform: Platform, booking_id: str) -> None:
    """What a successful payment does."""
    async with platform.db.transaction() as session:
        await lifecycle.confirm_booking(session, platform.cache, uuid.UUID(booking_id))


async def move_to(platform: Platform, booking_id: str, start: datetime) -> None:
    """Move a booking in time behind the API's back (to make it past or due)."""
    async with platform.db.transaction() as session:
        booking = await session.get(Booking, uuid.UUID(booking_id))
        assert booking is not None
        booking.scheduled_at = start
        booking.ends_at = start + timedelta(minutes=booking.duration_minutes)


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)
