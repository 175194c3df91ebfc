"""Consents with history, data export, and erasure that leaves no trace of the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import text

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.core.db import Database
from klearkarma.identity.models import User
from tests.factories import make_practitioner, make_service
from tests.identity.helpers import PASSWORD, bearer, login, register, unique_email


async def test_consents_keep_their_history(client: httpx.AsyncClient) -> None:
    headers = bearer((await register(client))["tokens"]["accessToken"])

    empty = await client.get("/v1/users/consents", headers=headers)
    await client.put(
        "/v1/users/consents", json={"marketing": True, "analytics": True}, headers=headers
    )
    await client.put("/v1/users/consents", json={"marketing": False}, headers=headers)
    same = await client.put("/v1/users/consents", json={"analytics": True}, headers=headers)

    assert empty.json()["data"] == {
        "current": {"marketing": False, "analytics": False, "healthDataSharing": False},
        "history": [],
    }
    data = same.json()["data"]
    assert data["current"] == {"marketing": False, "analytics": True, "healthDataSharing": False}
    # newest first; the unchanged analytics decision added no record
    assert [(h["kind"], h["granted"]) for h in data["history"]] == [
        ("marketing", False),
        ("analytics", True),
        ("marketing", True),
    ]


async def test_export_holds_the_callers_data(client: httpx.AsyncClient) -> None:
    data = await register(client, first_name="Nila", last_name="Export")
    headers = bearer(data["tokens"]["accessToken"])
    await client.put("/v1/users/consents", json={"healthDataSharing": True}, headers=headers)

    response = await client.get("/v1/users/export", headers=headers)

    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    export = response.json()["data"]
    account = export["identity"]["account"]
    assert account["email"] == data["user"]["email"]
    assert account["last_name"] == "Export"
    assert "password_hash" not in account
    assert "mfa_secret_encrypted" not in account
    assert [c["kind"] for c in export["identity"]["consents"]] == ["health_data_sharing"]
    assert len(export["identity"]["sessions"]) == 1
    assert export["bookings"] == []


async def _text_columns(db: Database) -> list[tuple[str, str]]:
    async with db.session_factory() as session:
        rows = await session.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'jsonb', 'json', 'ARRAY')"
            )
        )
        return [(r[0], r[1]) for r in rows]


async def _tables_containing(db: Database, needle: str) -> list[str]:
    found = []
    async with db.session_factory() as session:
        for table, column in await _text_columns(db):
            hit = await session.scalar(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE :needle'),
                {"needle": f"%{needle}%"},
            )
            if hit:
                found.append(f"{table}.{column}")
    return found


async def test_erasure_leaves_no_trace_but_keeps_the_money(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("zephyrine")
    data = await register(client, email=email, first_name="Zephyrine", last_name="Quillfeather")
    headers = bearer(data["tokens"]["accessToken"])
    await client.put(
        "/v1/users/profile",
        json={"phone": "+91 98765 43210", "dateOfBirth": "1990-04-01"},
        headers=headers,
    )
    await client.put("/v1/users/consents", json={"marketing": True}, headers=headers)
    await client.post("/v1/auth/forgot-password", json={"email": email})
    async with db.transaction() as session:
        practitioner = await make_practitioner(session)
        service = await make_service(session, practitioner)
        start = datetime.now(UTC) - timedelta(days=10)
        booking = Booking(
            seeker_id=data["user"]["id"],
            practitioner_id=practitioner.id,
            service_id=service.id,
            status=BookingStatus.COMPLETED,
            mode=service.mode,
            scheduled_at=start,
            ends_at=start + timedelta(hours=1),
            duration_minutes=60,
            total_amount=Decimal("1500.00"),
            commission_amount=Decimal("225.00"),
            notes="Zephyrine has a knee injury",
        )
        session.add(booking)
    assert await _tables_containing(db, "Quillfeather")  # the needle is really there first

    refused = await client.request(
        "DELETE",
        "/v1/users/account",
        json={"confirm": "DELETE", "password": "wrong-one-123"},
        headers=headers,
    )
    erased = await client.request(
        "DELETE",
        "/v1/users/account",
        json={"confirm": "DELETE", "password": PASSWORD},
        headers=headers,
    )

    assert refused.status_code == 422
    assert erased.status_code == 200
    for needle in (email, "Zephyrine", "Quillfeather", "98765", email.split("@")[0]):
        assert await _tables_containing(db, needle) == [], needle
    async with db.session_factory() as session:
        kept = await session.get(Booking, booking.id)
        user = await session.get(User, data["user"]["id"])
    assert kept is not None
    assert kept.total_amount == Decimal("1500.00")
    assert kept.notes is None
    assert user is not None
    assert user.deleted_at is not None
    assert (await client.get("/v1/users/profile", headers=headers)).status_code == 401
    assert (await login(client, email)).status_code == 401
