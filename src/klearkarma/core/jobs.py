"""Background jobs on procrastinate, in the platform's own PostgreSQL.

The rule: a job is enqueued through the SQLAlchemy session of the change that causes it, by calling
procrastinate's versioned SQL API (``procrastinate_defer_jobs_v1``) inside that transaction. Commit,
and the job exists (and its NOTIFY wakes a worker); roll back, and it never did.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import procrastinate
import pydantic_core
import structlog
from procrastinate import JobContext, PsycopgConnector, RetryStrategy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.db import libpq_url
from klearkarma.core.metrics import JOB_DURATION, JOBS_TOTAL

if TYPE_CHECKING:
    from klearkarma.platform import Platform

log = structlog.get_logger("klearkarma.jobs")

# Modules whose import registers tasks; a worker imports them all before it starts.
TASK_MODULES = (
    "klearkarma.core.housekeeping",
    "klearkarma.notifications.tasks",
    "klearkarma.bookings.tasks",
    "klearkarma.search.tasks",
    "klearkarma.payments.tasks",
)

# One procrastinate app per process. Its connector only matters to the worker (enqueueing goes
# through SQLAlchemy); the worker hands it a pool built from the platform's database URL.
jobs_app = procrastinate.App(connector=PsycopgConnector())

DEFAULT_RETRY = RetryStrategy(max_attempts=8, exponential_wait=2)

_DEFER_SQL = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    ":queue, :task, :priority, :lock, :queueing_lock, CAST(:args AS jsonb), :scheduled_at"
    ")::procrastinate_job_to_defer_v1])) AS id"
)


def task(
    name: str,
    *,
    queue: str = "default",
    retry: RetryStrategy | int | bool = DEFAULT_RETRY,
    periodic: str | None = None,
) -> Callable[[Callable[..., Awaitable[None]]], procrastinate.tasks.Task[Any, Any, Any]]:
    """Register a job. The function gets the running ``Platform`` first, then the job's kwargs.

    ``periodic`` takes a cron expression; the worker defers such jobs itself, once per tick
    across all workers.
    """

    def decorate(fn: Callable[..., Awaitable[None]]) -> procrastinate.tasks.Task[Any, Any, Any]:
        async def run(context: JobContext, /, **kwargs: Any) -> None:
            platform: Platform = context.additional_context["platform"]
            started = time.perf_counter()
            outcome = "failed"
            try:
                await fn(platform, **kwargs)
                outcome = "succeeded"
            finally:
                JOBS_TOTAL.labels(task=name, outcome=outcome).inc()
                JOB_DURATION.labels(task=name).observe(time.perf_counter() - started)
                log.info("job.finished", task=name, outcome=outcome)

        registered: procrastinate.tasks.Task[Any, Any, Any] = jobs_app.task(
            name=name, queue=queue, retry=retry, pass_context=True
        )(run)
        if periodic is not None:
            jobs_app.periodic(cron=periodic, periodic_id=name)(registered)
        return registered

    return decorate


async def enqueue(
    session: AsyncSession,
    job: procrastinate.tasks.Task[Any, Any, Any],
    *,
    run_at: datetime | None = None,
    run_in: timedelta | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
    **kwargs: Any,
) -> int:
    """Enqueue ``job`` inside ``session``'s transaction and return the job id.

    ``kwargs`` are stored as JSON (UUIDs, decimals and datetimes become strings).
    """
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    if run_in is not None:
        run_at = datetime.now().astimezone() + run_in
    job_id = await session.scalar(
        _DEFER_SQL,
        {
            "queue": job.queue,
            "task": job.name,
            "priority": job.priority,
            "lock": lock if lock is not None else job.lock,
            "queueing_lock": queueing_lock if queueing_lock is not None else job.queueing_lock,
            "args": pydantic_core.to_json(kwargs).decode(),
            "scheduled_at": run_at,
        },
    )
    JOBS_TOTAL.labels(task=job.name, outcome="enqueued").inc()
    return int(job_id)


async def cancel(session: AsyncSession, job_id: int) -> bool:
    """Withdraw a job that has not started, inside ``session``'s transaction; False if it had."""
    cancelled = await session.scalar(
        text("SELECT procrastinate_cancel_job_v1(:job_id, false, true)"), {"job_id": job_id}
    )
    return cancelled is not None


def load_task_modules() -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)


class Worker:
    """Runs procrastinate workers for one platform, in this process."""

    def __init__(self, platform: Platform, *, concurrency: int, queues: list[str] | None = None):
        self.platform = platform
        self.concurrency = concurrency
        self.queues = queues
        self._task: asyncio.Task[None] | None = None

    async def run(self, *, wait: bool = True, install_signal_handlers: bool = True) -> None:
        """Work until stopped (``wait``) or until the queues are empty (``wait=False``)."""
        load_task_modules()
        connector = PsycopgConnector(
            conninfo=libpq_url(self.platform.database_url),
            min_size=1,
            max_size=self.concurrency + 2,
        )
        options: dict[str, Any] = {
            "queues": self.queues,  # None: every queue
            "concurrency": self.concurrency,
            "wait": wait,
            "additional_context": {"platform": self.platform},
            "install_signal_handlers": install_signal_handlers,
            "fetch_job_polling_interval": 5.0,
        }
        with jobs_app.replace_connector(connector):
            async with jobs_app.open_async():
                await jobs_app.run_worker_async(**options)

    def start_in_background(self) -> None:
        self._task = asyncio.create_task(self.run(install_signal_handlers=False))

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
