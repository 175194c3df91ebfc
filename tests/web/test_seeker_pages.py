"""Seeker pages over HTTP: home, search, profile, the booking flow with payment, my bookings.

Each journey goes through the pages the way a browser without JavaScript would (forms, redirects),
and checks both what the page says and what rows exist afterwards.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.core.db import Database
from klearkarma.payments.gateways.sandbox import SandboxGateway
from klearkarma.payments.models import Payment, PaymentStatus
from klearkarma.platform import Platform
from tests.bookings.helpers import Calendar, days_ahead, local, open_calendar
from tests.identity.helpers import PASSWORD, register, unique_email
from tests.web.helpers import HTML, csrf_of, get_page, post_form, sign_in


async def _seeker(client: httpx.AsyncClient) -> dict[str, str]:
    user = (await register(client, email=unique_email("seeker")))["user"]
    await sign_in(client, user["email"], PASSWORD)
    return dict(user)


async def _bookings_of(db: Database, seeker_id: str) -> list[Booking]:
    async with db.transaction() as session:
        rows = await session.scalars(select(Booking).where(Booking.seeker_id == seeker_id))
        return list(rows)


async def _payments_for(db: Database, booking_id: uuid.UUID) -> list[Payment]:
    async with db.transaction() as session:
        rows = await session.scalars(select(Payment).where(Payment.booking_id == booking_id))
        return list(rows)


async def _hold(client: httpx.AsyncClient, calendar: Calendar, start: str) -> httpx.Response:
    review = (
        f"/book/{calendar.practitioner_id}/review?service={calendar.service_id}"
        f"&start={quote(start)}&tz=Asia/Kolkata"
    )
    page = await get_page(client, review)
    assert page.status_code == 200, page.text
    return await client.post(
        f"/book/{calendar.practitioner_id}",
        data={
            "csrf_token": csrf_of(page),
            "service": calendar.service_id,
            "start": start,
            "tz": "Asia/Kolkata",
            "notes": "Lower back is stiff",
        },
        headers=HTML,
    )


async def test_home_shows_search_modalities_and_featured_verified_practitioners(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)

    page = await get_page(client, "/")

    assert 'role="search"' in page.text
    assert 'href="/search?specialization=yoga"' in page.text
    assert f'href="/practitioners/{calendar.practitioner_id}"' in page.text


async def test_search_filters_sorts_and_explains_ignored_values(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)

    found = await get_page(client, "/search?q=yoga&mode=online&sort=price")
    nothing = await get_page(client, "/search?q=yoga&language=Klingon")
    odd = await get_page(client, "/search?q=yoga&min_rate=cheap")

    assert f'href="/practitioners/{calendar.practitioner_id}"' in found.text
    assert '<option value="price" selected>' in found.text
    assert "No practitioners match yet" in nothing.text
    assert "is not a number, so it was ignored" in odd.text
    assert f'href="/practitioners/{calendar.practitioner_id}"' in odd.text


async def test_profile_shows_credentials_services_and_slots_in_the_asked_zone(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    day = days_ahead(3)

    page = await get_page(
        client, f"/practitioners/{calendar.practitioner_id}?tz=Europe/London&week={day}"
    )

    assert "Verified" in page.text
    assert "RYT 500" in page.text
    assert "Private yoga" in page.text
    # 09:00 in Kolkata is 03:30 in London in winter (04:30 in summer).
    first = local(day, 9).astimezone(ZoneInfo("Europe/London"))
    assert f'value="{first.isoformat()}"' in page.text
    assert "Times are shown in <strong data-slot-zone-label>Europe/London</strong>" in page.text


async def test_a_hidden_practitioner_is_an_html_404(client: httpx.AsyncClient) -> None:
    page = await get_page(client, f"/practitioners/{uuid.uuid4()}")

    assert page.status_code == 404
    assert "We couldn't find that page" in page.text


async def test_review_asks_anonymous_visitors_to_sign_in_and_come_back(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    start = local(days_ahead(2), 10).isoformat()
    path = (
        f"/book/{calendar.practitioner_id}/review"
        f"?service={calendar.service_id}&start={quote(start)}"
    )

    page = await get_page(client, path)
    hold = await client.post(
        f"/book/{calendar.practitioner_id}",
        data={
            "csrf_token": csrf_of(await get_page(client, "/login")),
            "service": calendar.service_id,
            "start": start,
        },
        headers=HTML,
    )

    assert "Sign in to book" in page.text
    assert "/login?next=/book/" in page.text
    assert hold.status_code == 303
    assert hold.headers["location"].startswith("/login?next=")


async def test_book_and_pay_with_the_test_visa_confirms_the_booking(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await _seeker(client)
    start = local(days_ahead(2), 10).isoformat()

    held = await _hold(client, calendar, start)

    assert held.status_code == 303
    (booking,) = await _bookings_of(db, seeker["id"])
    assert booking.status is BookingStatus.PENDING
    assert booking.notes == "Lower back is stiff"
    assert held.headers["location"].startswith(f"/bookings/{booking.id}/pay")
    pay_page = await get_page(client, held.headers["location"])
    assert "pm_card_visa" in pay_page.text
    paid = await client.post(
        f"/bookings/{booking.id}/pay",
        data={"csrf_token": csrf_of(pay_page), "payment_method": "pm_card_visa"},
        headers=HTML,
    )

    assert paid.status_code == 303
    assert paid.headers["location"] == f"/bookings/{booking.id}?paid=1"
    (after,) = await _bookings_of(db, seeker["id"])
    assert after.status is BookingStatus.CONFIRMED
    (payment,) = await _payments_for(db, booking.id)
    assert payment.status is PaymentStatus.COMPLETED
    confirmation = await get_page(client, paid.headers["location"])
    assert "You're booked!" in confirmation.text
    assert f'href="/bookings/{booking.id}/calendar.ics"' in confirmation.text
    assert f"/bookings/{booking.id}/receipt/{payment.id}" in confirmation.text
    ics = await client.get(f"/bookings/{booking.id}/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.text
    receipt = await get_page(client, f"/bookings/{booking.id}/receipt/{payment.id}")
    assert receipt.status_code == 200
    assert payment.receipt_number is not None
    assert payment.receipt_number in receipt.text


async def test_a_declined_card_keeps_the_hold_and_says_so(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await _seeker(client)
    held = await _hold(client, calendar, local(days_ahead(2), 11).isoformat())
    (booking,) = await _bookings_of(db, seeker["id"])

    declined = await post_form(
        client,
        f"/bookings/{booking.id}/pay",
        {"payment_method": "pm_card_declined"},
        token_from=held.headers["location"],
    )

    assert declined.status_code == 402
    assert "Nothing was charged" in declined.text
    (after,) = await _bookings_of(db, seeker["id"])
    assert after.status is BookingStatus.PENDING
    (payment,) = await _payments_for(db, booking.id)
    assert payment.status is PaymentStatus.FAILED


async def test_a_card_needing_the_bank_step_is_approved_or_declined_on_its_page(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await _seeker(client)
    held = await _hold(client, calendar, local(days_ahead(2), 10).isoformat())
    (booking,) = await _bookings_of(db, seeker["id"])
    step = f"/bookings/{booking.id}/authenticate"

    asked = await post_form(
        client,
        f"/bookings/{booking.id}/pay",
        {"payment_method": "pm_card_authentication_required"},
        token_from=held.headers["location"],
    )
    assert asked.status_code == 303
    assert asked.headers["location"] == step
    page = await get_page(client, step)
    assert "Confirm with your bank" in page.text
    assert "Approve payment" in page.text

    declined = await post_form(client, step, {"decision": "decline"}, token_from=step)
    assert declined.headers["location"] == f"/bookings/{booking.id}/pay"
    (payment,) = await _payments_for(db, booking.id)
    assert payment.status is PaymentStatus.FAILED
    assert (await _bookings_of(db, seeker["id"]))[0].status is BookingStatus.PENDING

    await post_form(
        client,
        f"/bookings/{booking.id}/pay",
        {"payment_method": "pm_card_authentication_required"},
        token_from=f"/bookings/{booking.id}/pay",
    )
    approved = await post_form(client, step, {"decision": "approve"}, token_from=step)
    assert approved.headers["location"] == f"/bookings/{booking.id}?paid=1"
    (payment,) = await _payments_for(db, booking.id)
    assert payment.status is PaymentStatus.COMPLETED
    assert (await _bookings_of(db, seeker["id"]))[0].status is BookingStatus.CONFIRMED
    # Nothing is waiting any more: the bank page sends the seeker to the booking.
    assert (await client.get(step, headers=HTML)).headers["location"] == f"/bookings/{booking.id}"


async def test_coming_back_from_the_card_issuers_page_shows_the_outcome(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    """Stripe sends the payer to /bookings/payment-return?payment_intent=… after 3-D Secure;
    the page re-reads the intent, so it need not wait for the webhook."""
    calendar = await open_calendar(client, platform)
    seeker = await _seeker(client)
    held = await _hold(client, calendar, local(days_ahead(2), 9).isoformat())
    (booking,) = await _bookings_of(db, seeker["id"])
    await post_form(
        client,
        f"/bookings/{booking.id}/pay",
        {"payment_method": "pm_card_authentication_required"},
        token_from=held.headers["location"],
    )
    (payment,) = await _payments_for(db, booking.id)
    gateway = platform.gateway
    assert isinstance(gateway, SandboxGateway)
    await gateway.authenticate(payment.gateway_payment_id, approve=True)  # at the bank

    back = await client.get(
        "/bookings/payment-return",
        params={"payment_intent": payment.gateway_payment_id},
        headers=HTML,
    )
    assert back.headers["location"] == f"/bookings/{booking.id}?paid=1"
    (after,) = await _payments_for(db, booking.id)
    assert after.status is PaymentStatus.COMPLETED
    assert (await _bookings_of(db, seeker["id"]))[0].status is BookingStatus.CONFIRMED
    stranger = await client.get(
        "/bookings/payment-return", params={"payment_intent": "pi_unknown"}, headers=HTML
    )
    assert stranger.status_code == 404


async def test_a_taken_slot_sends_the_seeker_back_to_pick_another(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar = await open_calendar(client, platform)
    start = local(days_ahead(4), 10).isoformat()
    await _seeker(client)
    assert (await _hold(client, calendar, start)).status_code == 303
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as other:
        late = await _seeker(other)
        refused = await _hold(other, calendar, start)

    assert refused.status_code == 303
    assert "#availability" in refused.headers["location"]
    assert await _bookings_of(db, late["id"]) == []


async def test_my_bookings_cancel_and_reschedule(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await _seeker(client)
    held = await _hold(client, calendar, local(days_ahead(5), 9).isoformat())
    (booking,) = await _bookings_of(db, seeker["id"])
    await post_form(
        client,
        f"/bookings/{booking.id}/pay",
        {"payment_method": "pm_card_visa"},
        token_from=held.headers["location"],
    )

    listing = await get_page(client, "/bookings")
    assert f'href="/bookings/{booking.id}"' in listing.text
    new_start = local(days_ahead(6), 11)
    week = await get_page(
        client, f"/bookings/{booking.id}/reschedule?tz=Asia/Kolkata&week={days_ahead(6)}"
    )
    assert f'value="{new_start.isoformat()}"' in week.text
    moved = await post_form(
        client,
        f"/bookings/{booking.id}/reschedule",
        {"start": new_start.isoformat(), "tz": "Asia/Kolkata"},
    )
    assert moved.headers["location"] == f"/bookings/{booking.id}"
    (after_move,) = await _bookings_of(db, seeker["id"])
    assert after_move.scheduled_at == new_start

    cancelled = await post_form(
        client,
        f"/bookings/{booking.id}/cancel",
        {"reason": "Travelling"},
        token_from=f"/bookings/{booking.id}",
    )

    assert cancelled.status_code == 303
    (after_cancel,) = await _bookings_of(db, seeker["id"])
    assert after_cancel.status is BookingStatus.CANCELLED
    page = await get_page(client, f"/bookings/{booking.id}")
    assert "Your booking is cancelled." in page.text
    assert "Travelling" in page.text


async def test_someone_elses_booking_is_a_404_and_my_bookings_needs_a_login(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    calendar = await open_calendar(client, platform)
    owner = await _seeker(client)
    await _hold(client, calendar, local(days_ahead(3), 10).isoformat())
    (booking,) = await _bookings_of(db, owner["id"])
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as other:
        anonymous = await get_page(other, "/bookings")
        await _seeker(other)
        stranger = await get_page(other, f"/bookings/{booking.id}")
        stranger_ics = await other.get(f"/bookings/{booking.id}/calendar.ics", headers=HTML)

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/bookings"
    assert stranger.status_code == 404
    assert stranger_ics.status_code == 404
