"""A booking's life through the API: hold, confirm, move, cancel, run; who may see and do what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select, update

from klearkarma.bookings.models import Booking
from klearkarma.core.events import events_for
from klearkarma.platform import Platform
from klearkarma.practitioners.models import Practitioner
from tests.bookings.helpers import (
    book,
    confirm,
    days_ahead,
    local,
    move_to,
    new_seeker,
    open_calendar,
    utc,
)
from tests.identity.helpers import error_code


async def free_starts(client: httpx.AsyncClient, pid: str, sid: str, day: str) -> list[datetime]:
    answer = await client.get(
        f"/v1/practitioners/{pid}/availability",
        params={"from": day, "to": day, "serviceId": sid, "timezone": "UTC"},
    )
    assert answer.status_code == 200, answer.text
    return [utc(s["start"]) for s in answer.json()["data"]["slots"]]


async def test_a_booking_holds_an_offered_slot_at_the_servers_price(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    day = days_ahead(3)
    at = local(day, 10)

    created = await book(client, seeker, calendar, at)

    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["status"] == "pending"
    assert utc(data["scheduledAt"]) == at.astimezone(UTC)
    assert data["durationMinutes"] == 60
    assert (data["totalAmount"], data["commissionAmount"], data["currency"]) == (
        "1500.00",
        "225.00",
        "INR",
    )
    hold = utc(data["holdExpiresAt"]) - datetime.now(UTC)
    assert timedelta(minutes=9) < hold <= timedelta(minutes=10)
    starts = await free_starts(client, calendar.practitioner_id, calendar.service_id, str(day))
    assert at.astimezone(UTC) not in starts
    assert len(starts) == 2
    async with platform.db.session_factory() as session:
        kinds = [e.type for e in await events_for(session, uuid.UUID(data["id"]))]
    assert kinds == ["booking.created"]


async def test_a_taken_overlapping_or_unoffered_time_is_slot_unavailable(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    day = days_ahead(4)
    first = await book(client, await new_seeker(client), calendar, local(day, 9))
    assert first.status_code == 201

    same = await book(client, await new_seeker(client), calendar, local(day, 9))
    overlapping = await book(client, await new_seeker(client), calendar, local(day, 9, minute=30))
    outside_hours = await book(client, await new_seeker(client), calendar, local(day, 15))
    in_the_past = await book(client, await new_seeker(client), calendar, local(days_ahead(-1), 10))

    for refused in (same, overlapping, outside_hours, in_the_past):
        assert refused.status_code == 409, refused.text
        assert error_code(refused) == "SLOT_UNAVAILABLE"


async def test_the_practitioners_commission_rate_overrides_the_platforms(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    async with platform.db.transaction() as session:
        await session.execute(
            update(Practitioner)
            .where(Practitioner.id == uuid.UUID(calendar.practitioner_id))
            .values(commission_rate=Decimal("0.1"))
        )

    created = await book(client, await new_seeker(client), calendar, local(days_ahead(2), 11))

    assert created.json()["data"]["commissionAmount"] == "150.00"


async def test_unknown_or_pending_practitioners_and_foreign_services_are_not_found(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    other = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    at = local(days_ahead(2), 10).isoformat()
    async with platform.db.transaction() as session:
        await session.execute(
            update(Practitioner)
            .where(Practitioner.id == uuid.UUID(other.practitioner_id))
            .values(verification_status="pending")
        )

    pending = await client.post(
        "/v1/bookings",
        json={
            "practitionerId": other.practitioner_id,
            "serviceId": other.service_id,
            "scheduledAt": at,
        },
        headers=seeker,
    )
    foreign = await client.post(
        "/v1/bookings",
        json={
            "practitionerId": calendar.practitioner_id,
            "serviceId": other.service_id,
            "scheduledAt": at,
        },
        headers=seeker,
    )
    naive = await client.post(
        "/v1/bookings",
        json={
            "practitionerId": calendar.practitioner_id,
            "serviceId": calendar.service_id,
            "scheduledAt": "2030-01-01T10:00:00",
        },
        headers=seeker,
    )
    as_practitioner = await book(client, calendar.owner, other, local(days_ahead(2), 10))

    assert [r.status_code for r in (pending, foreign)] == [404, 404]
    assert naive.status_code == 422
    assert naive.json()["error"]["details"][0]["field"] == "scheduledAt"
    assert as_practitioner.status_code == 403


async def test_only_the_parties_and_admins_see_a_booking(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    stranger = await new_seeker(client)
    booking = (await book(client, seeker, calendar, local(days_ahead(2), 9))).json()["data"]
    path = f"/v1/bookings/{booking['id']}"

    seen = {
        who: (await client.get(path, headers=headers)).status_code
        for who, headers in {
            "seeker": seeker,
            "practitioner": calendar.owner,
            "admin": calendar.admin,
            "stranger": stranger,
        }.items()
    }
    meddling = [
        await client.put(path, json={"notes": "mine now"}, headers=stranger),
        await client.post(f"{path}/cancel", json={"reason": "x"}, headers=stranger),
        await client.get(f"{path}/calendar.ics", headers=stranger),
    ]
    listed = await client.get("/v1/bookings", headers=stranger)

    assert seen == {"seeker": 200, "practitioner": 200, "admin": 200, "stranger": 404}
    assert [r.status_code for r in meddling] == [404, 404, 404]
    assert listed.json()["data"] == []
    assert (await client.get(path)).status_code == 401


async def test_listing_filters_by_status_and_time(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    ids = []
    for hour in (9, 10, 11):
        ids.append(
            (await book(client, seeker, calendar, local(days_ahead(2), hour))).json()["data"]["id"]
        )
    await confirm(platform, ids[0])
    await confirm(platform, ids[1])
    await move_to(platform, ids[1], datetime.now(UTC) - timedelta(days=5))

    upcoming = await client.get("/v1/bookings", params={"when": "upcoming"}, headers=seeker)
    past = await client.get("/v1/bookings", params={"when": "past"}, headers=seeker)
    confirmed = await client.get("/v1/bookings", params={"status": "confirmed"}, headers=seeker)
    paged = await client.get("/v1/bookings", params={"limit": 2, "page": 2}, headers=seeker)
    practitioner_view = await client.get("/v1/bookings", headers=calendar.owner)

    assert [b["id"] for b in upcoming.json()["data"]] == [ids[0], ids[2]]
    assert [b["id"] for b in past.json()["data"]] == [ids[1]]
    assert {b["id"] for b in confirmed.json()["data"]} == {ids[0], ids[1]}
    assert paged.json()["meta"]["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
    }
    assert {b["id"] for b in practitioner_view.json()["data"]} == set(ids)


async def test_the_state_machine_refuses_invalid_transitions(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    booking = (await book(client, seeker, calendar, local(days_ahead(2), 9))).json()["data"]
    path = f"/v1/bookings/{booking['id']}"

    complete_pending = await client.post(f"{path}/complete", json={}, headers=calendar.owner)
    start_pending = await client.post(f"{path}/start", headers=calendar.owner)
    cancelled = await client.post(
        f"{path}/cancel", json={"reason": "changed plans"}, headers=seeker
    )
    again = await client.delete(path, headers=seeker)
    moved = await client.put(
        path, json={"scheduledAt": local(days_ahead(2), 11).isoformat()}, headers=seeker
    )

    assert [r.status_code for r in (complete_pending, start_pending)] == [409, 409]
    assert cancelled.status_code == 200
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert cancelled.json()["data"]["cancelledBy"] == "seeker"
    assert cancelled.json()["data"]["refundAmount"] == "0.00"  # nothing was paid yet
    assert [r.status_code for r in (again, moved)] == [409, 409]
    assert error_code(again) == "CONFLICT"


async def test_running_a_session_start_complete_and_no_show(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    first = (await book(client, seeker, calendar, local(days_ahead(2), 9))).json()["data"]
    second = (await book(client, seeker, calendar, local(days_ahead(2), 10))).json()["data"]
    for booking in (first, second):
        await confirm(platform, booking["id"])
    too_early = await client.post(f"/v1/bookings/{first['id']}/start", headers=calendar.owner)
    now = datetime.now(UTC)
    await move_to(platform, first["id"], now + timedelta(minutes=5))  # due in 5 minutes
    await move_to(platform, second["id"], now + timedelta(minutes=65))

    by_seeker = await client.post(f"/v1/bookings/{first['id']}/start", headers=seeker)
    started = await client.post(f"/v1/bookings/{first['id']}/start", headers=calendar.owner)
    early_complete = await client.post(
        f"/v1/bookings/{first['id']}/complete", json={}, headers=calendar.owner
    )
    await move_to(platform, first["id"], now - timedelta(minutes=30))  # under way
    await move_to(platform, second["id"], now - timedelta(minutes=90))  # over, nobody came
    completed = await client.post(
        f"/v1/bookings/{first['id']}/complete",
        json={"notes": "Worked on breath; practise daily."},
        headers=calendar.owner,
    )
    absent = await client.post(f"/v1/bookings/{second['id']}/no-show", headers=calendar.owner)
    seen_by_seeker = await client.get(f"/v1/bookings/{first['id']}", headers=seeker)
    profile = await client.get(f"/v1/practitioners/{calendar.practitioner_id}")

    assert too_early.status_code == 409
    assert by_seeker.status_code == 403
    assert started.status_code == 200
    assert started.json()["data"]["startedAt"] is not None
    assert early_complete.status_code == 409
    assert completed.json()["data"]["status"] == "completed"
    assert completed.json()["data"]["sessionNotes"] == "Worked on breath; practise daily."
    assert seen_by_seeker.json()["data"]["sessionNotes"] is None
    assert absent.json()["data"]["status"] == "no_show"
    assert profile.json()["data"]["totalSessions"] == 1
    async with platform.db.session_factory() as session:
        kinds = [e.type for e in await events_for(session, uuid.UUID(first["id"]))]
    assert kinds == ["booking.created", "booking.confirmed", "booking.started", "booking.completed"]


async def test_reschedule_moves_atomically_to_a_free_slot(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    day = days_ahead(3)
    mine = (await book(client, seeker, calendar, local(day, 9))).json()["data"]
    theirs = await book(client, await new_seeker(client), calendar, local(day, 11))
    assert theirs.status_code == 201
    path = f"/v1/bookings/{mine['id']}"

    onto_taken = await client.put(
        path, json={"scheduledAt": local(day, 11).isoformat()}, headers=seeker
    )
    unchanged = await client.get(path, headers=seeker)
    moved = await client.put(path, json={"scheduledAt": local(day, 10).isoformat()}, headers=seeker)
    starts = await free_starts(client, calendar.practitioner_id, calendar.service_id, str(day))

    assert onto_taken.status_code == 409
    assert error_code(onto_taken) == "SLOT_UNAVAILABLE"
    assert utc(unchanged.json()["data"]["scheduledAt"]) == local(day, 9).astimezone(UTC)
    assert moved.status_code == 200, moved.text
    assert utc(moved.json()["data"]["scheduledAt"]) == local(day, 10).astimezone(UTC)
    assert starts == [local(day, 9).astimezone(UTC)]


async def test_seekers_cannot_move_a_session_within_24_hours_but_practitioners_can(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    seeker = await new_seeker(client)
    booking = (await book(client, seeker, calendar, local(days_ahead(3), 9))).json()["data"]
    await move_to(platform, booking["id"], datetime.now(UTC) + timedelta(hours=12))
    new_time = local(days_ahead(4), 10).isoformat()

    by_seeker = await client.put(
        f"/v1/bookings/{booking['id']}", json={"scheduledAt": new_time}, headers=seeker
    )
    by_practitioner = await client.put(
        f"/v1/bookings/{booking['id']}", json={"scheduledAt": new_time}, headers=calendar.owner
    )

    assert by_seeker.status_code == 409
    assert by_practitioner.status_code == 200, by_practitioner.text


async def test_an_expired_hold_frees_its_slot(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    day = days_ahead(2)
    first = (await book(client, await new_seeker(client), calendar, local(day, 10))).json()["data"]
    async with platform.db.transaction() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == uuid.UUID(first["id"]))
            .values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    starts = await free_starts(client, calendar.practitioner_id, calendar.service_id, str(day))
    second = await book(client, await new_seeker(client), calendar, local(day, 10))
    expired = await client.get(f"/v1/bookings/{first['id']}", headers=calendar.owner)

    assert local(day, 10).astimezone(UTC) in starts
    assert second.status_code == 201, second.text
    assert expired.json()["data"]["status"] == "cancelled"
    assert expired.json()["data"]["cancellationReason"] == "hold_expired"
    assert expired.json()["data"]["cancelledBy"] == "system"


async def test_the_hold_expiry_job_is_queued_for_the_holds_end(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar = await open_calendar(client, platform)
    booking = (
        await book(client, await new_seeker(client), calendar, local(days_ahead(2), 9))
    ).json()["data"]

    async with platform.db.session_factory() as session:
        from sqlalchemy import text

        row = (
            await session.execute(
                text(
                    "SELECT scheduled_at FROM procrastinate_jobs "
                    "WHERE task_name = 'bookings.expire_hold' AND args->>'booking_id' = :id"
                ),
                {"id": booking["id"]},
            )
        ).one()
        still = await session.scalar(
            select(Booking.status).where(Booking.id == uuid.UUID(booking["id"]))
        )

    assert row[0] == utc(booking["holdExpiresAt"])
    assert still == "pending"
