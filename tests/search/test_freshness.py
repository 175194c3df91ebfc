"""Cached search answers never outlive the change that makes them wrong."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.practitioners.models import Practitioner, ServiceMode
from klearkarma.reviews import service as reviews
from klearkarma.search.cache import SUGGEST_VERSION_KEY, VERSION_KEY
from klearkarma.search.suggestions import SuggestionStore
from tests.factories import make_review, make_user
from tests.identity.helpers import PASSWORD, admin_headers
from tests.practitioners.helpers import verified_with_rules
from tests.search.helpers import ids, search


async def test_a_new_service_is_searchable_at_once(
    client: httpx.AsyncClient, db: Database, cache: CacheBackend
) -> None:
    owner, practitioner_id, _ = await verified_with_rules(client, db)
    before = await search(client, q="gong bath")
    assert await search(client, q="gong bath") == before  # answered again, from the caches
    version = await cache.get(VERSION_KEY)

    added = await client.post(
        f"/v1/practitioners/{practitioner_id}/services",
        json={
            "name": "Gong bath",
            "description": "Deep rest in sound.",
            "category": "sound-healing",
            "durationMinutes": 60,
            "price": "1800.00",
            "mode": "in_person",
        },
        headers=owner,
    )
    after = await search(client, q="gong bath")

    assert added.status_code == 201
    assert before["data"]["results"] == []
    assert [r["id"] for r in after["data"]["results"]] == [practitioner_id]
    assert await cache.get(VERSION_KEY) != version


async def test_profile_edits_and_retired_services_show_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner, practitioner_id, service_id = await verified_with_rules(client, db)
    assert (await search(client, q="private yoga"))["data"]["results"] != []
    assert (await search(client, q="tibetan"))["data"]["results"] == []

    edited = await client.put(
        f"/v1/practitioners/{practitioner_id}",
        json={"headline": "Tibetan singing bowls"},
        headers=owner,
    )
    retired = await client.delete(
        f"/v1/practitioners/{practitioner_id}/services/{service_id}", headers=owner
    )

    assert edited.status_code == retired.status_code == 200
    assert [r["id"] for r in (await search(client, q="tibetan"))["data"]["results"]] == [
        practitioner_id
    ]
    services = await client.get("/v1/search/services", params={"q": "private yoga"})
    assert services.json()["data"]["results"] == []


async def test_suspension_and_verification_change_search_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    admin = await admin_headers(client, db)
    _, practitioner_id, _ = await verified_with_rules(client, db, admin=admin)
    async with db.transaction() as session:
        user_id = await session.scalar(
            select(Practitioner.user_id).where(Practitioner.id == uuid.UUID(practitioner_id))
        )
    shown = [practitioner_id]
    assert ids(await search(client, q="iyengar")) == shown

    suspended = await client.post(
        f"/v1/admin/users/{user_id}/suspend", json={"reason": "fake credentials"}, headers=admin
    )
    while_suspended = ids(await search(client, q="iyengar"))
    reactivated = await client.post(f"/v1/admin/users/{user_id}/reactivate", headers=admin)
    after_reactivation = ids(await search(client, q="iyengar"))
    rejected = await client.post(
        f"/v1/admin/practitioners/{practitioner_id}/verification",
        json={"decision": "rejected", "reason": "expired certificate"},
        headers=admin,
    )
    after_rejection = ids(await search(client, q="iyengar"))

    assert suspended.status_code == reactivated.status_code == rejected.status_code == 200
    assert while_suspended == []
    assert after_reactivation == shown
    assert after_rejection == []


async def test_a_completed_session_shows_in_search_at_once(
    client: httpx.AsyncClient, db: Database, cache: CacheBackend
) -> None:
    owner, practitioner_id, service_id = await verified_with_rules(client, db)
    async with db.transaction() as session:
        seeker = await make_user(session)
        started = datetime.now(UTC) - timedelta(hours=2)
        booking = Booking(
            seeker_id=seeker.id,
            practitioner_id=uuid.UUID(practitioner_id),
            service_id=uuid.UUID(service_id),
            status=BookingStatus.CONFIRMED,
            mode=ServiceMode.ONLINE,
            scheduled_at=started,
            ends_at=started + timedelta(hours=1),
            duration_minutes=60,
            total_amount=Decimal("1500.00"),
            commission_amount=Decimal("225.00"),
        )
        session.add(booking)
    before = await search(client, q="iyengar")
    assert await search(client, q="iyengar") == before  # answered again, from the caches

    completed = await client.post(f"/v1/bookings/{booking.id}/complete", json={}, headers=owner)
    after = await search(client, q="iyengar")

    assert completed.status_code == 200, completed.text
    assert [r["totalSessions"] for r in before["data"]["results"]] == [0]
    assert [r["totalSessions"] for r in after["data"]["results"]] == [1]
    assert after["data"]["results"][0]["score"] > before["data"]["results"][0]["score"]


async def test_a_new_rating_shows_in_search_at_once(
    client: httpx.AsyncClient, db: Database, cache: CacheBackend
) -> None:
    _, practitioner_id, _ = await verified_with_rules(client, db)
    before = await search(client, q="iyengar", minRating=4)
    assert await search(client, q="iyengar", minRating=4) == before
    async with db.transaction() as session:
        practitioner = await session.get(Practitioner, uuid.UUID(practitioner_id))
        assert practitioner is not None
        await make_review(session, practitioner, 5)
        await make_review(session, practitioner, 4)
    assert await search(client, q="iyengar", minRating=4) == before  # rows alone change nothing

    async with db.transaction() as session:
        await reviews.refresh_rating(session, cache, uuid.UUID(practitioner_id))
    after = await search(client, q="iyengar", minRating=4)

    assert before["data"]["results"] == []
    assert [(r["id"], r["rating"], r["reviewCount"]) for r in after["data"]["results"]] == [
        (practitioner_id, 4.5, 2)
    ]


async def test_an_erased_practitioner_leaves_search_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner, practitioner_id, _ = await verified_with_rules(client, db)
    assert ids(await search(client, q="iyengar")) == [practitioner_id]

    erased = await client.request(
        "DELETE",
        "/v1/users/account",
        json={"confirm": "DELETE", "password": PASSWORD},
        headers=owner,
    )

    assert erased.status_code == 200, erased.text
    assert ids(await search(client, q="iyengar")) == []
    assert ids(await search(client, q="yoga")) == []


async def test_suggestions_follow_renames_and_suspensions_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    admin = await admin_headers(client, db)
    owner, practitioner_id, _ = await verified_with_rules(client, db, admin=admin)

    async def names(prefix: str) -> list[tuple[str, str | None]]:
        response = await client.get("/v1/search/suggestions", params={"q": prefix})
        assert response.status_code == 200, response.text
        return [
            (s["text"], s["id"]) for s in response.json()["data"] if s["type"] == "practitioner"
        ]

    assert await names("zorawar") == []  # loads this process's suggestion lists
    renamed = await client.put(
        f"/v1/practitioners/{practitioner_id}",
        json={"displayName": "Zorawar Quill"},
        headers=owner,
    )
    after_rename = await names("zorawar")
    async with db.transaction() as session:
        user_id = await session.scalar(
            select(Practitioner.user_id).where(Practitioner.id == uuid.UUID(practitioner_id))
        )
    suspended = await client.post(
        f"/v1/admin/users/{user_id}/suspend", json={"reason": "fake credentials"}, headers=admin
    )
    after_suspension = await names("zorawar")

    assert renamed.status_code == suspended.status_code == 200
    assert after_rename == [("Zorawar Quill", practitioner_id)]
    assert after_suspension == []


async def test_suggestions_follow_another_process_within_the_check_interval(
    client: httpx.AsyncClient, db: Database, cache: CacheBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change committed by another process reaches this one through the shared version, read
    at most every CHECK_SECONDS: until then the lists stay as they were."""
    _, practitioner_id, _ = await verified_with_rules(client, db)

    async def names(prefix: str) -> list[str]:
        response = await client.get("/v1/search/suggestions", params={"q": prefix})
        assert response.status_code == 200, response.text
        return [s["text"] for s in response.json()["data"] if s["type"] == "practitioner"]

    monkeypatch.setattr(SuggestionStore, "CHECK_SECONDS", 3600.0)
    assert await names("yuvaraj") == []  # loads and checks the version now
    # Another process renames the practitioner and moves the shared version (it, not this
    # process, ran search.cache.changed).
    async with db.transaction() as session:
        practitioner = await session.get(Practitioner, uuid.UUID(practitioner_id))
        assert practitioner is not None
        practitioner.display_name = "Yuvaraj Tandon"
    await cache.incr(SUGGEST_VERSION_KEY, ttl=3600)

    assert await names("yuvara") == []  # checked less than CHECK_SECONDS ago: not yet
    monkeypatch.setattr(SuggestionStore, "CHECK_SECONDS", 0.0)
    assert await names("yuvar") == ["Yuvaraj Tandon"]
