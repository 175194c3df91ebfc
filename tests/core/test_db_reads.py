"""``Database.reading()`` / ``Database.read()``: the driver-level read path used by search.

Covered: bound to one connection (the ``db`` fixture), reads run on that very connection and
see the test's uncommitted rows; on a pooled ``Database.connect`` database, the read sessions
are read-only, plan with ``force_custom_plan``, carry the ``klearkarma-reads`` application
name, and a pooled connection the server terminated does not break the next read, whether the
client saw it go (the pool reconnects) or not (``read`` retries).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import psycopg
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from klearkarma.core.db import Database


def unique_term() -> str:
    return f"readterm{uuid.uuid4().hex[:10]}"


@pytest_asyncio.fixture
async def pooled(clean_database_url: str) -> AsyncIterator[Database]:
    database = Database.connect(clean_database_url, pool_size=2)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def admin(clean_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(clean_database_url)
    yield connection
    await connection.close()


async def test_bound_read_sees_uncommitted_rows(db: Database, database_url: str) -> None:
    term = unique_term()
    async with db.transaction() as session:
        await session.execute(
            text("INSERT INTO search_terms (term, frequency) VALUES (:term, 7)"), {"term": term}
        )

    row = await db.read("SELECT term, frequency FROM search_terms WHERE term = $1", term)
    assert row is not None
    assert (row["term"], row["frequency"]) == (term, 7)

    other = await asyncpg.connect(database_url)
    try:
        assert await other.fetchval("SELECT count(*) FROM search_terms WHERE term = $1", term) == 0
    finally:
        await other.close()


async def test_bound_reading_uses_the_bound_connection(db: Database) -> None:
    assert isinstance(db.bind, AsyncConnection)
    session_pid = (await db.bind.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with db.reading() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") == session_pid


async def test_pooled_reads_are_read_only(pooled: Database, admin: asyncpg.Connection) -> None:
    term = unique_term()
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        async with pooled.reading() as connection:
            await connection.execute(
                "INSERT INTO search_terms (term, frequency) VALUES ($1, 1)", term
            )
    assert await admin.fetchval("SELECT count(*) FROM search_terms WHERE term = $1", term) == 0


async def test_pooled_reads_see_committed_rows(pooled: Database, admin: asyncpg.Connection) -> None:
    term = unique_term()
    await admin.execute("INSERT INTO search_terms (term, frequency) VALUES ($1, 3)", term)
    row = await pooled.read("SELECT frequency FROM search_terms WHERE term = $1", term)
    assert row is not None
    assert row["frequency"] == 3


async def test_pooled_sessions_plan_per_call_and_name_themselves(pooled: Database) -> None:
    row = await pooled.read(
        "SELECT current_setting('plan_cache_mode'), current_setting('application_name'),"
        " current_setting('transaction_read_only')"
    )
    assert row is not None
    assert tuple(row) == ("force_custom_plan", "klearkarma-reads", "on")


async def test_generic_plan_reads_come_from_sessions_that_plan_once(pooled: Database) -> None:
    settings = (
        "SELECT current_setting('plan_cache_mode'), current_setting('transaction_read_only'),"
        " pg_backend_pid()"
    )
    generic = await pooled.read(settings, generic_plan=True)
    custom = await pooled.read(settings)
    assert generic is not None
    assert custom is not None
    assert tuple(generic)[:2] == ("force_generic_plan", "on")
    assert tuple(custom)[:2] == ("force_custom_plan", "on")
    assert generic[2] != custom[2]  # two pools, two sessions


async def test_read_survives_a_connection_the_server_terminated(
    pooled: Database, admin: asyncpg.Connection
) -> None:
    before = await pooled.read("SELECT pg_backend_pid()")
    assert before is not None
    pid = before[0]

    # The timeout makes the call wait until the backend has really gone: the pooled connection
    # is dead before the next read, as when the server dropped an idle connection.
    terminated = await admin.fetchval(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
        " WHERE pid = $1 AND application_name = 'klearkarma-reads'",
        pid,
    )
    assert terminated is True

    row = await pooled.read("SELECT 1, pg_backend_pid()")
    assert row is not None
    assert row[0] == 1
    assert row[1] != pid


async def test_read_retries_a_connection_it_had_not_seen_die(
    pooled: Database, clean_database_url: str
) -> None:
    before = await pooled.read("SELECT pg_backend_pid()")
    assert before is not None
    pid = before[0]

    # A blocking connection on purpose: the event loop does not run while the server ends the
    # backend, so the pool still holds the connection as open and the first attempt fails on it.
    with psycopg.connect(clean_database_url, autocommit=True) as blocking:
        cursor = blocking.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE pid = %s AND application_name = 'klearkarma-reads'",
            (pid,),
        )
        assert cursor.fetchone() == (True,)

    row = await pooled.read("SELECT 1, pg_backend_pid()")
    assert row is not None
    assert row[0] == 1
    assert row[1] != pid


async def test_read_answers_when_the_server_ends_the_connection_at_any_moment(
    pooled: Database, admin: asyncpg.Connection
) -> None:
    # No waiting for the kill: the read races the server ending its connection, and asyncpg
    # reports the loss differently depending on the moment it notices (a closed connection, an
    # admin shutdown, an operation interrupted in progress). Every read must still answer.
    for _ in range(8):
        before = await pooled.read("SELECT pg_backend_pid()")
        assert before is not None
        await admin.execute("SELECT pg_terminate_backend($1)", before[0])
        row = await pooled.read("SELECT 1")
        assert row is not None
        assert row[0] == 1


async def test_reads_go_to_the_reads_url_when_one_is_given(clean_database_url: str) -> None:
    # Two databases on the server stand in for a primary and its replica.
    replica = make_url(clean_database_url).database
    primary = make_url(clean_database_url).set(database="postgres").render_as_string(False)
    database = Database.connect(primary, pool_size=1, reads_url=clean_database_url)
    try:
        row = await database.read("SELECT current_database()")
        assert row is not None
        assert row[0] == replica
        async with database.transaction() as session:
            assert await session.scalar(text("SELECT current_database()")) == "postgres"
    finally:
        await database.dispose()
