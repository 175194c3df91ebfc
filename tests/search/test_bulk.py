"""A bulk load (the seed command) leaves every practitioner searchable, and triggers resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest_asyncio

from klearkarma.demo.seed import seed_database


@pytest_asyncio.fixture
async def conn(clean_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(clean_database_url)
    yield connection
    await connection.close()


async def test_seeded_practitioners_are_indexed_with_their_services(
    conn: asyncpg.Connection,
) -> None:
    await seed_database(
        conn,
        practitioners=40,
        seekers=10,
        bookings=30,
        password_hash="x",
        now=datetime(2026, 11, 24, tzinfo=UTC),
    )

    unindexed = await conn.fetchval(
        """
        SELECT count(*) FROM practitioners AS p
        WHERE p.search_vector IS DISTINCT FROM search_document(p)
        """
    )
    service_word_missing = await conn.fetchval(
        """
        SELECT count(*) FROM services AS s JOIN practitioners AS p ON p.id = s.practitioner_id
        WHERE s.is_active AND NOT p.search_vector @@ plainto_tsquery('english', s.name)
        """
    )
    public_cities = await conn.fetchval(
        "SELECT count(DISTINCT lower(city)) FROM practitioners"
        " WHERE verification_status = 'verified' AND is_active AND city IS NOT NULL"
    )
    suggested_cities = await conn.fetchval(
        "SELECT count(*) FROM search_suggestions WHERE kind = 'city'"
    )
    words = await conn.fetchval("SELECT count(*) FROM search_terms")
    assert unindexed == 0
    assert service_word_missing == 0
    assert suggested_cities == public_cities > 0
    assert words > 100
    # The pause ended with the load: a later write in the same session is indexed by trigger.
    assert await conn.fetchval("SELECT current_setting('klearkarma.search_bulk', true)") != "on"
    practitioner = await conn.fetchval("SELECT id FROM practitioners LIMIT 1")
    await conn.execute(
        "UPDATE practitioners SET headline = 'Kintsugi breath' WHERE id = $1", practitioner
    )
    assert await conn.fetchval(
        "SELECT search_vector @@ plainto_tsquery('english', 'kintsugi') FROM practitioners"
        " WHERE id = $1",
        practitioner,
    )
