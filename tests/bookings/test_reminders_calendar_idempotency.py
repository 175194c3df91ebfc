"""Reminders at the right instants, calendar files that parse, and safe retries."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar as ICalendar
from sqlalchemy import func, select, text

from klearkarma.bookings import reminders
from klearkarma.bookings.models import Booking, ReminderKind
from klearkarma.bookings.policy import CancellationPolicy
from klearkarma.platform import Platform
from tests.bookings.helpers import (
    book,
    confirm,
    days_ahead,
    local,
    new_seeker,
    open_calendar,
    utc,
)
from tests.conftest import client_for
from tests.identity.helpers import error_code, queued

EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


async def reminder_jobs(platform: Platform, booking_id: str) -> dict[str, datetime]:
    async with platform.db.session_factory() as session:
        rows = await session.execute(
            text(
                "SELECT args->>'kind', scheduled_at FROM procrastinate_jobs "
                "WHERE task_name = 'bookings.send_reminder' AND status = 'todo' "
                "AND args->>'booking_id' = :id"
            ),
            {"id": booking_id},
        )
        return {str(kind): at for kind, at in rows}


async def test_reminders_are_queued_24h_and_1h_before_and_follow_the_booking(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    at = local(days_ahead(3), 9)
    booking = (await book(client, seeker, calendar, at)).json()["data"]
    assert await reminder_jobs(platform, booking["id"]) == {}  # nothing until it is confirmed

    await confirm(platform, booking["id"])
    queued_first = await reminder_jobs(platform, booking["id"])
    later = local(days_ahead(3), 11)
    moved = await client.put(
        f"/v1/bookings/{booking['id']}", json={"scheduledAt": later.isoformat()}, headers=seeker
    )
    queued_after_move = await reminder_jobs(platform, booking["id"])
    await client.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=seeker)

    assert queued_first == {"24h": at - timedelta(hours=24), "1h": at - timedelta(hours=1)}
    assert moved.status_code == 200
    assert queued_after_move == {
        "24h": later - timedelta(hours=24),
        "1h": later - timedelta(hours=1),
    }
    assert await reminder_jobs(platform, booking["id"]) == {}


async def test_reminders_land_on_real_elapsed_hours_across_a_dst_change(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    # New York springs forward on 2027-03-14: the 24-hour reminder of a 10:00 EDT session is at
    # 09:00 EST the day before (24 real hours), not at 10:00 local.
    calendar = await open_calendar(
        client,
        platform,
        timezone="America/New_York",
        maxAdvanceDays=365,
        weeklyHours=[{"day": d, "start": "09:00", "end": "12:00"} for d in EVERY_DAY],
    )
    at = datetime(2027, 3, 14, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    booking = (await book(client, await new_seeker(client), calendar, at)).json()["data"]
    assert booking["scheduledAt"], booking

    await confirm(platform, booking["id"])
    jobs = await reminder_jobs(platform, booking["id"])

    assert utc(booking["scheduledAt"]) == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)
    assert jobs["24h"] == datetime(2027, 3, 13, 14, 0, tzinfo=UTC)
    assert jobs["24h"].astimezone(ZoneInfo("America/New_York")).hour == 9
    assert jobs["1h"] == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)


async def test_a_due_reminder_emails_both_parties_once_and_a_withdrawn_one_nobody(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    booking = (await book(client, seeker, calendar, local(days_ahead(3), 10))).json()["data"]
    await confirm(platform, booking["id"])
    booking_id = uuid.UUID(booking["id"])
    before = len(await queued(platform.db, "notifications.send_email"))

    async with platform.db.transaction() as session:
        sent = await reminders.send_due(session, booking_id, ReminderKind.HOUR_BEFORE)
    async with platform.db.transaction() as session:
        again = await reminders.send_due(session, booking_id, ReminderKind.HOUR_BEFORE)
    mails = (await queued(platform.db, "notifications.send_email"))[before:]

    assert (sent, again) == (True, False)
    assert len(mails) == 2
    assert all(m["subject"] == "Reminder: Private yoga in 1 hour" for m in mails)


def test_the_cancellation_policy() -> None:
    policy = CancellationPolicy()
    start = datetime(2026, 12, 10, 10, tzinfo=UTC)
    paid = Decimal("1500.00")

    assert policy.refund_amount(paid, start, start - timedelta(hours=25), "seeker") == paid
    assert policy.refund_amount(paid, start, start - timedelta(hours=24), "seeker") == paid
    assert policy.refund_amount(paid, start, start - timedelta(hours=3), "seeker") == Decimal(
        "750.00"
    )
    assert policy.refund_amount(paid, start, start, "seeker") == Decimal("0.00")
    assert policy.refund_amount(paid, start, start + timedelta(hours=1), "practitioner") == paid
    assert policy.refund_amount(Decimal("999.99"), start, start - timedelta(hours=1), "seeker") == (
        Decimal("500.00")  # half a paisa rounds up
    )


async def test_cancelling_a_paid_booking_decides_the_refund_by_policy(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    early = (await book(client, seeker, calendar, local(days_ahead(5), 9))).json()["data"]
    by_practitioner = (await book(client, seeker, calendar, local(days_ahead(5), 10))).json()[
        "data"
    ]
    for booking in (early, by_practitioner):
        await confirm(platform, booking["id"])

    seeker_cancel = await client.post(
        f"/v1/bookings/{early['id']}/cancel", json={"reason": "travel"}, headers=seeker
    )
    host_cancel = await client.delete(
        f"/v1/bookings/{by_practitioner['id']}", headers=calendar.owner
    )

    assert seeker_cancel.json()["data"]["refundAmount"] == "1500.00"
    assert host_cancel.json()["data"]["refundAmount"] == "1500.00"
    assert host_cancel.json()["data"]["cancelledBy"] == "practitioner"
    mail = [
        m
        for m in await queued(platform.db, "notifications.send_email")
        if m["subject"].startswith("Cancelled:")
    ]
    assert len(mail) == 4  # both parties of both bookings
    assert any("Reason: travel" in m["text"] for m in mail)


async def test_the_booking_ics_parses_with_its_zone(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    at = local(days_ahead(2), 11)
    booking = (await book(client, seeker, calendar, at)).json()["data"]

    response = await client.get(f"/v1/bookings/{booking['id']}/calendar.ics", headers=seeker)

    assert response.headers["content-type"].startswith("text/calendar")
    parsed = ICalendar.from_ical(response.content)
    (event,) = parsed.walk("VEVENT")
    assert event["uid"] == f"{booking['id']}@klearkarma"
    start = event.decoded("dtstart")
    assert start == at
    assert str(start.tzinfo) == "Asia/Kolkata"
    assert event.decoded("dtend") - start == timedelta(hours=1)
    assert str(event["status"]) == "TENTATIVE"
    assert [tz["tzid"] for tz in parsed.walk("VTIMEZONE")] == ["Asia/Kolkata"]


async def test_the_private_feed_lists_the_users_sessions_and_rotates(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    booking = (await book(client, seeker, calendar, local(days_ahead(2), 9))).json()["data"]
    await confirm(platform, booking["id"])

    url = (await client.get("/v1/bookings/calendar-feed", headers=seeker)).json()["data"]["url"]
    same = (await client.get("/v1/bookings/calendar-feed", headers=seeker)).json()["data"]["url"]
    path = url.removeprefix(platform.settings.public_url)
    feed = await client.get(path)  # no bearer token: the URL is the credential
    host_url = (await client.get("/v1/bookings/calendar-feed", headers=calendar.owner)).json()
    host_feed = await client.get(host_url["data"]["url"].removeprefix(platform.settings.public_url))
    forged = await client.get(path.rsplit("/", 1)[0] + "/" + "0" * 40 + ".ics")
    rotated = await client.post("/v1/bookings/calendar-feed/rotate", headers=seeker)
    old = await client.get(path)

    assert url == same
    assert feed.status_code == 200
    events = ICalendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{booking['id']}@klearkarma"]
    assert str(events[0]["status"]) == "CONFIRMED"
    assert len(ICalendar.from_ical(host_feed.content).walk("VEVENT")) == 1
    assert forged.status_code == 404
    assert rotated.json()["data"]["url"] != url
    assert old.status_code == 404


async def test_an_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    at = local(days_ahead(2), 10)
    key = {"Idempotency-Key": f"book-{uuid.uuid4()}"}

    first = await book(client, seeker, calendar, at, **key)
    retry = await book(client, seeker, calendar, at, **key)
    other_body = await book(client, seeker, calendar, local(days_ahead(2), 11), **key)
    other_caller = await book(client, await new_seeker(client), calendar, at, **key)

    assert first.status_code == retry.status_code == 201
    assert retry.json()["data"] == first.json()["data"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert other_body.status_code == 422
    assert error_code(other_body) == "IDEMPOTENCY_CONFLICT"
    assert other_caller.status_code == 409  # keys are per caller: this one really tried
    async with platform.db.session_factory() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.practitioner_id == uuid.UUID(calendar.practitioner_id))
        )
    assert count == 1


async def test_concurrent_retries_with_one_key_book_once(committed_platform: Platform) -> None:
    async with client_for(committed_platform) as client:
        calendar = await open_calendar(client, committed_platform)
        seeker = await new_seeker(client)
        key = {"Idempotency-Key": "double-click"}
        at = local(days_ahead(3), 9)

        answers = await asyncio.gather(
            *(book(client, seeker, calendar, at, **key) for _ in range(8))
        )

    assert Counter(r.status_code for r in answers) == {201: 8}
    assert len({r.json()["data"]["id"] for r in answers}) == 1
