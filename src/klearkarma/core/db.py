"""Database access: the declarative base, the engine, and the one-transaction-per-call rule.

A request (or a job) gets one session; it is committed in exactly one place
(``Database.transaction``) and services only ``flush``. Jobs enqueued through that session
commit or vanish with it.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import Depends, Request
from sqlalchemy import DateTime, Enum, MetaData, Numeric, func
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from klearkarma.core.errors import AppError, ServiceUnavailable
from klearkarma.core.ids import uuid7

log = structlog.get_logger("klearkarma.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        Decimal: Numeric(12, 2),
        dict[str, Any]: JSONB,
    }


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def sqlalchemy_url(url: str) -> URL:
    """The asyncpg form of any PostgreSQL URL (``postgres://``, ``postgresql+psycopg://``, …)."""
    return make_url(url).set(drivername="postgresql+asyncpg")


def libpq_url(url: str) -> str:
    """The plain libpq form, for psycopg (procrastinate) and ``psql``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    """The engine and the session factory of one process."""

    def __init__(
        self,
        engine: AsyncEngine | AsyncConnection,
        *,
        savepoints: bool = False,
        reads_url: str | None = None,
        pool_size: int = 10,
    ) -> None:
        self.bind = engine
        self._reads_url = reads_url
        self._pool_size = pool_size
        self._reads: dict[bool, asyncpg.Pool] = {}  # by generic_plan
        self._reads_lock = asyncio.Lock()
        options: dict[str, Any] = {"expire_on_commit": False, "autoflush": False}
        if savepoints:
            # Tests bind to one outer connection and turn every commit into a savepoint release.
            options["join_transaction_mode"] = "create_savepoint"
        self.session_factory = async_sessionmaker(bind=engine, **options)

    @classmethod
    def connect(
        cls, url: str, *, pool_size: int = 10, echo: bool = False, reads_url: str | None = None
    ) -> Database:
        """The engine on ``url``; hot reads (``reading``) go to ``reads_url`` when given (a read
        replica), else to ``url`` too."""
        engine = create_async_engine(
            sqlalchemy_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_recycle=1800,
            echo=echo,
            connect_args={"server_settings": {"application_name": "klearkarma"}},
        )
        return cls(engine, reads_url=reads_url or url, pool_size=pool_size)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit when the block succeeds, roll back when it raises.

        An ``AppError`` raised with ``keep_changes=True`` commits first: the refusal itself is a
        change worth keeping (a failed-login record, a revoked token family).
        """
        async with self.session_factory() as session:
            try:
                yield session
            except AppError as exc:
                if exc.keep_changes:
                    await session.commit()
                    await _run_after_commit(session)
                else:
                    await session.rollback()
                raise
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            await _run_after_commit(session)

    @asynccontextmanager
    async def reading(self, *, generic_plan: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """A driver connection for single read-only statements on a hot path (search).

        No transaction, so no BEGIN and COMMIT round trips; no pre-ping either (a connection the
        server dropped fails the statement, and the caller retries through ``read``). The pool's
        sessions are read-only, and plan each statement for its own values
        (``plan_cache_mode``): most reads that come here have value-dependent best plans.
        ``generic_plan`` takes a connection from a second pool whose sessions plan a prepared
        statement once and reuse the plan, for statements whose best plan is the same whatever
        their values (rows by primary key): planning is then no longer paid per execution.
        Bound to one connection (tests), that connection is used, inside its transaction.
        """
        if isinstance(self.bind, AsyncConnection):  # single_connection, narrowed for mypy
            raw = await self.bind.get_raw_connection()
            yield raw.driver_connection
            return
        pool = self._reads.get(generic_plan) or await self._open_reads(generic_plan)
        async with pool.acquire() as connection:
            yield connection

    @property
    def single_connection(self) -> bool:
        """Bound to one connection (tests): statements must not run concurrently on it."""
        return isinstance(self.bind, AsyncConnection)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[asyncpg.Connection]:
        """A read connection in a repeatable-read, read-only transaction: statements that must
        see the same data (an index load's rows and postings). Bound to one connection, that
        connection as it is."""
        async with self.reading() as connection:
            if self.single_connection:
                yield connection
                return
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                yield connection

    async def read(self, sql: str, *args: Any, generic_plan: bool = False) -> asyncpg.Record | None:
        """The first row of one read-only statement (see ``reading``)."""
        row: asyncpg.Record | None = await self._retried(
            lambda c: c.fetchrow(sql, *args), generic_plan
        )
        return row

    async def read_all(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Every row of one read-only statement (see ``reading``)."""
        rows: list[asyncpg.Record] = await self._retried(lambda c: c.fetch(sql, *args))
        return rows

    async def _retried(
        self, statement: Callable[[asyncpg.Connection], Awaitable[Any]], generic_plan: bool = False
    ) -> Any:
        """Run ``statement`` on a read connection, once more on a connection the server had
        closed; a database that cannot be reached at all is a 503, not a crash."""
        for attempt in (1, 2):
            try:
                async with self.reading(generic_plan=generic_plan) as connection:
                    return await statement(connection)
            except _LOST_CONNECTION as exc:
                if self.single_connection:
                    raise
                if attempt == 2:
                    log.warning("db.reads_unavailable", error=type(exc).__name__)
                    raise ServiceUnavailable("The database cannot be reached; try again.") from exc
        raise AssertionError("unreachable")

    async def _open_reads(self, generic_plan: bool) -> asyncpg.Pool:
        async with self._reads_lock:
            if generic_plan not in self._reads:
                if self._reads_url is None:
                    raise RuntimeError("reads need a Database made by Database.connect")
                self._reads[generic_plan] = await asyncpg.create_pool(
                    libpq_url(self._reads_url),
                    min_size=1,
                    max_size=self._pool_size,
                    max_inactive_connection_lifetime=1800,
                    reset=_keep_session,
                    server_settings={
                        "application_name": "klearkarma-reads",
                        "default_transaction_read_only": "on",
                        "plan_cache_mode": (
                            "force_generic_plan" if generic_plan else "force_custom_plan"
                        ),
                    },
                )
            return self._reads[generic_plan]

    async def dispose(self) -> None:
        for pool in self._reads.values():
            await pool.close()
        self._reads.clear()
        if isinstance(self.bind, AsyncEngine):
            await self.bind.dispose()


# What a statement raises when the server dropped its connection (a restart, a failover, an
# idle-connection reaper; asyncpg reports it differently depending on when it noticed) or could
# not be reached at all (OSError, ConnectionError among them).
_LOST_CONNECTION = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.InternalClientError,
    OSError,
)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset between reads: they set nothing, open no transaction, listen to nothing
    (asyncpg's default reset would cost a round trip per statement)."""


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run ``action`` once the session's transaction has committed (never if it rolls back).

    Cache invalidation belongs here: done before the commit, a concurrent reader could refill the
    cache from the old rows and keep them there.
    """
    session.info.setdefault("after_commit", []).append(action)


async def _run_after_commit(session: AsyncSession) -> None:
    actions: list[AfterCommit] = session.info.pop("after_commit", [])
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("db.after_commit_failed")


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.platform.db.transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit
# becomes an error response instead of a success the database never saw.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


def str_enum(enum_type: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR column with a CHECK constraint holding a ``StrEnum``'s values."""
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


def as_dict(row: Base) -> dict[str, Any]:
    """A model's column values by attribute name (data exports, audit snapshots)."""
    return {attr.key: getattr(row, attr.key) for attr in sa_inspect(type(row)).column_attrs}
