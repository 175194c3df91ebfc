"""Practitioner pages over HTTP: the onboarding wizard, the availability editor, services, the
bookings dashboard with its actions, and earnings — each checked against the rows it leaves, and
against another practitioner's or a seeker's reach."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.core.db import Database
from klearkarma.platform import Platform
from klearkarma.practitioners.models import (
    AvailabilitySchedule,
    BlockedTime,
    CredentialDocument,
    Practitioner,
    Service,
    VerificationStatus,
)
from klearkarma.web.pages import practitioner_bookings
from tests.bookings.helpers import Calendar, confirm, move_to, open_calendar
from tests.identity.helpers import PASSWORD, register, unique_email
from tests.payments.helpers import paid_booking, pending_booking
from tests.practitioners.helpers import PDF
from tests.web.helpers import HTML, csrf_of, get_page, post_form, sign_in

WEEKLY = {
    "timezone": "Asia/Kolkata",
    "weekly_monday_0_start": "09:00",
    "weekly_monday_0_end": "12:00",
    "weekly_monday_1_start": "14:00",
    "weekly_monday_1_end": "17:00",
    "weekly_wednesday_0_start": "10:00",
    "weekly_wednesday_0_end": "13:00",
    "override_0_date": "2031-01-01",
    "override_0_start": "",
    "override_0_end": "",
    "slot_interval_minutes": "60",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "15",
    "min_notice_minutes": "240",
    "max_advance_days": "60",
    "daily_booking_limit": "4",
    "action": "save",
}
PROFILE = {
    "display_name": "Meera Iyer",
    "headline": "Ayurveda for everyday balance",
    "bio": "Twelve years of practice.",
    "experience_years": "12",
    "hourly_rate": "1800",
    "specializations": "ayurveda",
    "languages": "English, Tamil",
    "timezone": "Asia/Kolkata",
    "offers_online": "on",
}


async def _new_practitioner(client: httpx.AsyncClient) -> str:
    email = unique_email("healer")
    await register(client, email=email, user_type="practitioner")
    await sign_in(client, email, PASSWORD)
    return email


async def _profile_of(db: Database, email: str) -> Practitioner | None:
    from klearkarma.identity.models import User

    async with db.transaction() as session:
        return await session.scalar(
            select(Practitioner)
            .join(User, User.id == Practitioner.user_id)
            .where(User.email == email)
        )


async def _sign_in_owner(client: httpx.AsyncClient, db: Database, calendar: Calendar) -> None:
    """Sign the calendar's practitioner (made through the API) in to the web app."""
    from klearkarma.identity.models import User

    async with db.transaction() as session:
        email = await session.scalar(
            select(User.email)
            .join(Practitioner, Practitioner.user_id == User.id)
            .where(Practitioner.id == uuid.UUID(calendar.practitioner_id))
        )
    assert email is not None
    await sign_in(client, email, PASSWORD)


async def test_onboarding_saves_each_step_and_resumes_where_it_stopped(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = await _new_practitioner(client)

    first = await client.get("/practitioner", headers=HTML)
    assert first.status_code == 303
    assert first.headers["location"] == "/practitioner/onboarding"
    saved = await post_form(
        client, "/practitioner/profile", PROFILE, token_from="/practitioner/onboarding"
    )
    assert saved.status_code == 303, saved.text
    practitioner = await _profile_of(db, email)
    assert practitioner is not None
    assert practitioner.verification_status is VerificationStatus.PENDING
    assert practitioner.specializations == ["ayurveda"]
    assert practitioner.languages == ["English", "Tamil"]

    # Resuming lands on the first step not done: credentials.
    resumed = await get_page(client, "/practitioner/onboarding")
    assert "Your credentials" in resumed.text
    assert "1 of 4 steps done." in resumed.text
    assert "Waiting for verification." in resumed.text
    uploaded = await client.post(
        "/practitioner/documents",
        data={"csrf_token": csrf_of(resumed)},
        files={"document": ("ayurveda-diploma.pdf", PDF, "application/pdf")},
        headers=HTML,
    )
    assert uploaded.status_code == 303, uploaded.text
    async with db.transaction() as session:
        documents = list(
            await session.scalars(
                select(CredentialDocument).where(
                    CredentialDocument.practitioner_id == practitioner.id
                )
            )
        )
    assert [d.title for d in documents] == ["ayurveda-diploma.pdf"]
    download = await client.get(f"/practitioner/documents/{documents[0].id}", headers=HTML)
    assert download.content == PDF
    assert download.headers["cache-control"] == "private, no-store"

    step3 = await get_page(client, "/practitioner/onboarding")
    assert "Your services" in step3.text
    added = await post_form(
        client,
        "/practitioner/services",
        {
            "name": "Dosha consultation",
            "category": "ayurveda",
            "duration_minutes": "45",
            "price": "1200",
            "mode": "online",
            "next": "/practitioner/onboarding?step=services",
        },
        token_from="/practitioner/onboarding?step=services",
    )
    assert added.headers["location"] == "/practitioner/onboarding?step=services"

    step4 = await get_page(client, "/practitioner/onboarding")
    assert "Your availability" in step4.text
    availability = await post_form(
        client,
        "/practitioner/availability",
        {**WEEKLY, "next": "/practitioner/onboarding?step=done"},
        token_from="/practitioner/onboarding?step=availability",
    )
    assert availability.headers["location"] == "/practitioner/onboarding?step=done"

    done = await get_page(client, "/practitioner/onboarding")
    assert "4 of 4 steps done." in done.text
    assert 'data-verification-status="pending"' in done.text
    async with db.transaction() as session:
        services = list(
            await session.scalars(select(Service).where(Service.practitioner_id == practitioner.id))
        )
        schedule = await session.get(AvailabilitySchedule, practitioner.id)
    assert [(s.name, s.duration_minutes, str(s.price)) for s in services] == [
        ("Dosha consultation", 45, "1200.00")
    ]
    assert schedule is not None
    assert schedule.weekly_hours == [
        {"day": "monday", "start": "09:00", "end": "12:00"},
        {"day": "monday", "start": "14:00", "end": "17:00"},
        {"day": "wednesday", "start": "10:00", "end": "13:00"},
    ]
    assert schedule.overrides == [{"date": "2031-01-01", "intervals": []}]
    assert (schedule.buffer_after_minutes, schedule.daily_booking_limit) == (15, 4)
    home = await client.get("/practitioner", headers=HTML)
    assert home.headers["location"] == "/practitioner/bookings"


async def test_a_refused_profile_shows_field_errors_and_creates_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = await _new_practitioner(client)

    refused = await post_form(
        client,
        "/practitioner/profile",
        {**PROFILE, "specializations": "", "hourly_rate": "lots", "offers_online": ""},
        token_from="/practitioner/onboarding",
    )

    assert refused.status_code == 422
    assert 'href="#field-hourly_rate"' in refused.text
    assert 'href="#field-specializations"' in refused.text
    assert 'value="Ayurveda for everyday balance"' in refused.text  # kept what was typed
    assert await _profile_of(db, email) is None


async def test_availability_rows_are_added_without_saving_and_errors_land_on_their_inputs(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = await _new_practitioner(client)
    await post_form(client, "/practitioner/profile", PROFILE, token_from="/practitioner/onboarding")
    practitioner = await _profile_of(db, email)
    assert practitioner is not None
    page = await get_page(client, "/practitioner/availability")
    assert 'id="field-weekly_monday_0_start"' in page.text  # Mon-Fri 9-5 suggested at first

    more = await client.post(
        "/practitioner/availability",
        data={**WEEKLY, "action": "add:sunday", "csrf_token": csrf_of(page)},
        headers=HTML,
    )
    assert more.status_code == 200
    assert 'id="field-weekly_sunday_0_start"' in more.text
    assert 'value="14:00"' in more.text  # what was typed stays
    async with db.transaction() as session:
        assert await session.get(AvailabilitySchedule, practitioner.id) is None

    overlapping = await client.post(
        "/practitioner/availability",
        data={
            **WEEKLY,
            "weekly_monday_1_start": "11:00",
            "max_advance_days": "900",
            "csrf_token": csrf_of(more),
        },
        headers=HTML,
    )
    assert overlapping.status_code == 422
    assert 'href="#field-weekly_monday_1_start">Overlaps another range.' in overlapping.text
    assert 'href="#field-max_advance_days"' in overlapping.text
    assert re.search(r'id="field-weekly_monday_1_start"[^>]*aria-invalid="true"', overlapping.text)
    async with db.transaction() as session:
        assert await session.get(AvailabilitySchedule, practitioner.id) is None

    saved = await client.post(
        "/practitioner/availability",
        data={**WEEKLY, "timezone": "Europe/London", "csrf_token": csrf_of(overlapping)},
        headers=HTML,
    )
    assert saved.status_code == 303
    async with db.transaction() as session:
        schedule = await session.get(AvailabilitySchedule, practitioner.id)
    assert schedule is not None
    assert schedule.timezone == "Europe/London"

    # Blocked times are read in the zone of the weekly hours.
    blocked = await post_form(
        client,
        "/practitioner/blocked-times",
        {"start": "2031-03-02T09:00", "end": "2031-03-04T18:00", "reason": "Retreat"},
        token_from="/practitioner/availability",
    )
    assert blocked.status_code == 303
    backwards = await post_form(
        client,
        "/practitioner/blocked-times",
        {"start": "2031-03-05T09:00", "end": "2031-03-04T18:00"},
        token_from="/practitioner/availability",
    )
    assert backwards.status_code == 422
    assert "The end must be after the start." in backwards.text
    async with db.transaction() as session:
        blocks = list(
            await session.scalars(
                select(BlockedTime).where(BlockedTime.practitioner_id == practitioner.id)
            )
        )
    assert [(b.starts_at, b.reason) for b in blocks] == [
        (datetime(2031, 3, 2, 9, 0, tzinfo=UTC), "Retreat")  # London is on GMT in March
    ]
    removed = await post_form(
        client,
        f"/practitioner/blocked-times/{blocks[0].id}/remove",
        {},
        token_from="/practitioner/availability",
    )
    assert removed.status_code == 303
    async with db.transaction() as session:
        assert await session.get(BlockedTime, blocks[0].id) is None


async def test_services_are_edited_and_retired_but_never_someone_elses(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    other = await open_calendar(client, platform)
    await _new_practitioner(client)
    await post_form(client, "/practitioner/profile", PROFILE, token_from="/practitioner/onboarding")
    await post_form(
        client,
        "/practitioner/services",
        {
            "name": "Abhyanga",
            "category": "ayurveda",
            "duration_minutes": "60",
            "price": "2000",
            "mode": "in_person",
        },
        token_from="/practitioner/services",
    )
    listing = await get_page(client, "/practitioner/services")
    service_id = re.search(r'href="/practitioner/services/([0-9a-f-]{36})"', listing.text)
    assert service_id is not None
    sid = uuid.UUID(service_id.group(1))

    bad = await post_form(
        client,
        f"/practitioner/services/{sid}",
        {
            "name": "Abhyanga",
            "category": "astrology",
            "duration_minutes": "60",
            "price": "2000",
            "mode": "in_person",
        },
        token_from=f"/practitioner/services/{sid}",
    )
    assert bad.status_code == 422
    assert 'href="#field-category"' in bad.text
    edited = await post_form(
        client,
        f"/practitioner/services/{sid}",
        {
            "name": "Abhyanga massage",
            "category": "ayurveda",
            "duration_minutes": "75",
            "price": "2200",
            "mode": "in_person",
        },
        token_from=f"/practitioner/services/{sid}",
    )
    assert edited.status_code == 303
    retired = await post_form(
        client, f"/practitioner/services/{sid}/deactivate", {}, token_from="/practitioner/services"
    )
    assert retired.status_code == 303
    async with db.transaction() as session:
        service = await session.get(Service, sid)
    assert service is not None
    assert (service.name, service.duration_minutes, service.is_active) == (
        "Abhyanga massage",
        75,
        False,
    )

    theirs = await post_form(
        client,
        f"/practitioner/services/{other.service_id}/deactivate",
        {},
        token_from="/practitioner/services",
    )
    assert theirs.status_code == 404
    async with db.transaction() as session:
        untouched = await session.get(Service, uuid.UUID(other.service_id))
    assert untouched is not None
    assert untouched.is_active is True


async def test_dashboard_runs_a_due_session_and_keeps_notes_private(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar, seeker, booking_id = await pending_booking(client, platform)
    await confirm(platform, booking_id)
    await move_to(platform, booking_id, datetime.now(UTC) - timedelta(minutes=10))
    await _sign_in_owner(client, db, calendar)

    dashboard = await get_page(client, "/practitioner/bookings")
    assert "Today" in dashboard.text
    assert f'href="/practitioner/bookings/{booking_id}"' in dashboard.text
    page = await get_page(client, f"/practitioner/bookings/{booking_id}")
    assert "Start session" in page.text
    started = await post_form(
        client,
        f"/practitioner/bookings/{booking_id}/start",
        {},
        token_from=f"/practitioner/bookings/{booking_id}",
    )
    assert started.status_code == 303
    completed = await post_form(
        client,
        f"/practitioner/bookings/{booking_id}/complete",
        {"session_notes": "Vata imbalance; follow up in two weeks."},
        token_from=f"/practitioner/bookings/{booking_id}",
    )
    assert completed.status_code == 303
    async with db.transaction() as session:
        booking = await session.get(Booking, uuid.UUID(booking_id))
    assert booking is not None
    assert booking.status is BookingStatus.COMPLETED
    assert booking.started_at is not None
    assert booking.session_notes == "Vata imbalance; follow up in two weeks."
    shown = await get_page(client, f"/practitioner/bookings/{booking_id}")
    assert "Vata imbalance" in shown.text
    # The seeker's own booking page never shows the practitioner's notes.
    seeker_view = await client.get(f"/v1/bookings/{booking_id}", headers=seeker)
    assert seeker_view.json()["data"]["sessionNotes"] is None


async def test_another_practitioner_cannot_see_or_act_on_a_booking(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    _calendar, _, booking_id = await pending_booking(client, platform)
    await confirm(platform, booking_id)
    await _new_practitioner(client)

    seen = await get_page(client, f"/practitioner/bookings/{booking_id}")
    listing = await get_page(client, "/practitioner/bookings")
    cancelled = await post_form(
        client,
        f"/practitioner/bookings/{booking_id}/cancel",
        {"reason": "mine now"},
        token_from="/practitioner/bookings",
    )

    assert seen.status_code == 404
    assert booking_id not in listing.text
    assert cancelled.status_code == 404
    async with db.transaction() as session:
        booking = await session.get(Booking, uuid.UUID(booking_id))
    assert booking is not None
    assert booking.status is BookingStatus.CONFIRMED


async def test_a_practitioner_cancels_and_the_seeker_gets_everything_back(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    paid = await paid_booking(client, platform)
    await _sign_in_owner(client, db, paid.calendar)

    cancelled = await post_form(
        client,
        f"/practitioner/bookings/{paid.booking_id}/cancel",
        {"reason": "Unwell"},
        token_from=f"/practitioner/bookings/{paid.booking_id}",
    )

    assert cancelled.status_code == 303
    async with db.transaction() as session:
        booking = await session.get(Booking, uuid.UUID(paid.booking_id))
    assert booking is not None
    assert booking.status is BookingStatus.CANCELLED
    assert booking.cancelled_by_role == "practitioner"
    assert str(booking.refund_amount) == "1500.00"


async def test_earnings_show_only_your_own_money(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    paid = await paid_booking(client, platform)
    await _sign_in_owner(client, db, paid.calendar)

    mine = await get_page(client, "/practitioner/earnings")

    assert mine.status_code == 200
    assert 'data-earnings="pending">₹1,275<' in mine.text  # 1500 less 15 % commission
    assert 'data-earnings="available">₹0<' in mine.text
    assert "₹1,500" in mine.text
    assert "₹225" in mine.text
    await post_form(client, "/logout", {}, token_from="/")
    await _new_practitioner(client)
    await post_form(client, "/practitioner/profile", PROFILE, token_from="/practitioner/onboarding")
    theirs = await get_page(client, "/practitioner/earnings")
    assert 'data-earnings="pending">₹0<' in theirs.text
    assert "₹1,500" not in theirs.text
    assert "No payments yet." in theirs.text


async def test_earnings_page_through_the_payments(
    client: httpx.AsyncClient, platform: Platform, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(practitioner_bookings, "PER_PAGE", 1)
    first = await paid_booking(client, platform, hour=9)
    await paid_booking(client, platform, calendar=first.calendar, hour=11)
    await _sign_in_owner(client, db, first.calendar)

    pages = [await get_page(client, "/practitioner/earnings")]
    pages.append(await get_page(client, "/practitioner/earnings?payouts_page=1&page=2"))
    past_the_end = await get_page(client, "/practitioner/earnings?page=x")

    for number, page in enumerate(pages, start=1):
        assert page.status_code == 200
        payments = page.text.split('id="payments-title"')[1]
        assert payments.count("₹1,500") == 1  # one payment per page
        assert f"Page {number} of 2" in payments
    assert 'href="/practitioner/earnings?payouts_page=1&amp;page=2">Next' in pages[0].text
    assert 'href="/practitioner/earnings?payouts_page=1&amp;page=1">Previous' in pages[1].text
    assert "Page 1 of 2" in past_the_end.text  # a bad page number shows the first page


async def test_seekers_and_visitors_are_kept_out_of_the_practice_pages(
    client: httpx.AsyncClient,
) -> None:
    anonymous = await client.get("/practitioner/bookings", headers=HTML)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/practitioner/bookings"

    email = unique_email("seeker")
    await register(client, email=email)
    await sign_in(client, email, PASSWORD)
    for path in (
        "/practitioner",
        "/practitioner/onboarding",
        "/practitioner/availability",
        "/practitioner/earnings",
    ):
        page = await get_page(client, path)
        assert page.status_code == 403, path
    refused = await post_form(client, "/practitioner/profile", PROFILE, token_from="/account")
    assert refused.status_code == 403
