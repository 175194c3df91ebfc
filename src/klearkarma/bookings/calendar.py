"""iCalendar files: one per booking, and a private feed per user that calendar apps subscribe to.

Events carry the practitioner's zone (TZID with its VTIMEZONE), so a calendar shows the right
wall-clock time on both sides of a DST change. The feed URL holds an HMAC of the user id and a
version instead of a stored secret: nothing to leak from the database, and bumping the version
(``rotate``) revokes every old URL at once.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings.lifecycle import BookingView, booking_rows
from klearkarma.bookings.models import Booking, BookingStatus, CalendarFeed
from klearkarma.core.crypto import derive_key, keyed_hash
from klearkarma.practitioners.models import Practitioner

PRODUCT = "-//Klear Karma//Bookings//EN"
FEED_PAST = timedelta(days=90)
_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.NO_SHOW: "CANCELLED",
}


def _event(booking: Booking, title: str, zone: str, url: str) -> Event:
    tz = ZoneInfo(zone)
    event = Event()
    event.add("uid", f"{booking.id}@klearkarma")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", booking.scheduled_at.astimezone(tz))
    event.add("dtend", booking.ends_at.astimezone(tz))
    event.add("summary", title)
    event.add("status", _STATUS[booking.status])
    event.add("sequence", booking.reschedule_count)
    event.add("url", url)
    event.add("description", f"Klear Karma booking {booking.id}. Manage it at {url}")
    return event


def _calendar(events: Iterable[Event], name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _title(view: BookingView) -> str:
    if view.role == "practitioner":
        return f"{view.service_name} (Klear Karma session)"
    return f"{view.service_name} with {view.practitioner_name}"


async def booking_ics(session: AsyncSession, view: BookingView, public_url: str) -> bytes:
    practitioner = await session.get(Practitioner, view.booking.practitioner_id)
    zone = practitioner.timezone if practitioner is not None else "UTC"
    url = f"{public_url}/bookings/{view.booking.id}"
    return _calendar([_event(view.booking, _title(view), zone, url)], "Klear Karma")


# The private feed.


def _feed_key(secret: str) -> bytes:
    return derive_key(secret, "calendar-feed")


def _token(secret: str, user_id: uuid.UUID, version: int) -> str:
    return keyed_hash(_feed_key(secret), f"{user_id}:{version}")[:40]


async def feed_url(
    session: AsyncSession, secret: str, public_url: str, user_id: uuid.UUID, *, rotate: bool
) -> str:
    """The user's feed URL; ``rotate`` makes a new one and kills the old."""
    statement = insert(CalendarFeed).values(user_id=user_id, version=1)
    if rotate:
        statement = statement.on_conflict_do_update(
            index_elements=[CalendarFeed.user_id],
            set_={"version": CalendarFeed.version + 1},
        )
    else:
        statement = statement.on_conflict_do_nothing()
    await session.execute(statement)
    version = await session.scalar(
        select(CalendarFeed.version).where(CalendarFeed.user_id == user_id)
    )
    assert version is not None
    return f"{public_url}/v1/calendar/{user_id}/{_token(secret, user_id, version)}.ics"


async def feed_ics(
    session: AsyncSession, secret: str, public_url: str, user_id: uuid.UUID, token: str
) -> bytes | None:
    """The feed, or None when the token is wrong or revoked (the caller answers 404)."""
    version = await session.scalar(
        select(CalendarFeed.version).where(CalendarFeed.user_id == user_id)
    )
    if version is None or not hmac.compare_digest(token, _token(secret, user_id, version)):
        return None
    rows = await session.execute(
        booking_rows()
        .add_columns(Practitioner.timezone)
        .where(
            (Booking.seeker_id == user_id) | (Practitioner.user_id == user_id),
            Booking.status.in_(
                (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
            ),
            Booking.ends_at > datetime.now(UTC) - FEED_PAST,
        )
        .order_by(Booking.scheduled_at)
    )
    events = []
    for booking, name, service_name, _, zone in rows:
        role = "seeker" if booking.seeker_id == user_id else "practitioner"
        view = BookingView(booking, name, service_name, role)
        events.append(_event(booking, _title(view), zone, f"{public_url}/bookings/{booking.id}"))
    return _calendar(events, "Klear Karma sessions")
