"""Jobs are enqueued inside the transaction of the change that causes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from klearkarma.core.jobs import Worker, enqueue, jobs_app, load_task_modules
from klearkarma.core.metrics import JOBS_TOTAL
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.models import DevMail
from klearkarma.notifications.service import queue_email
from klearkarma.notifications.tasks import send_email
from klearkarma.platform import Platform


class Abort(Exception):
    pass


async def job_rows(platform: Platform) -> list[tuple[str, str, dict[str, object]]]:
    # Periodic housekeeping may be deferred by any worker run; these tests are about the rest.
    async with platform.db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT task_name, status::text, args FROM procrastinate_jobs "
                "WHERE task_name NOT IN (SELECT task_name FROM procrastinate_periodic_defers) "
                "ORDER BY id"
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def mailbox_subjects(platform: Platform) -> list[str]:
    async with platform.db.transaction() as session:
        return list(await session.scalars(select(DevMail.subject).order_by(DevMail.subject)))


async def test_job_from_a_rolled_back_transaction_never_runs(
    committed_platform: Platform,
) -> None:
    platform = committed_platform
    with pytest.raises(Abort):
        async with platform.db.transaction() as session:
            await queue_email(session, Email(to=["a@example.com"], subject="ghost", text="x"))
            raise Abort
    async with platform.db.transaction() as session:
        await queue_email(session, Email(to=["b@example.com"], subject="real", text="hello"))

    assert [(name, status) for name, status, _ in await job_rows(platform)] == [
        ("notifications.send_email", "todo")
    ]

    succeeded_before = JOBS_TOTAL.labels(
        task="notifications.send_email", outcome="succeeded"
    )._value.get()
    await Worker(platform, concurrency=1).run(wait=False, install_signal_handlers=False)

    assert await mailbox_subjects(platform) == ["real"]
    assert [(name, status) for name, status, _ in await job_rows(platform)] == [
        ("notifications.send_email", "succeeded")
    ]
    succeeded_after = JOBS_TOTAL.labels(
        task="notifications.send_email", outcome="succeeded"
    )._value.get()
    assert succeeded_after == succeeded_before + 1


async def test_job_arguments_are_stored_as_json(committed_platform: Platform) -> None:
    async with committed_platform.db.transaction() as session:
        job_id = await enqueue(session, send_email, to=["c@example.com"], subject="s", text="t")

    [(name, status, args)] = await job_rows(committed_platform)
    assert job_id > 0
    assert (name, status) == ("notifications.send_email", "todo")
    assert args == {"to": ["c@example.com"], "subject": "s", "text": "t"}


async def test_scheduled_job_waits_for_its_time(committed_platform: Platform) -> None:
    platform = committed_platform
    async with platform.db.transaction() as session:
        await enqueue(
            session,
            send_email,
            run_in=timedelta(hours=1),
            to=["d@example.com"],
            subject="later",
            text="t",
        )
        scheduled = await session.scalar(text("SELECT scheduled_at FROM procrastinate_jobs"))

    await Worker(platform, concurrency=1).run(wait=False, install_signal_handlers=False)

    assert scheduled is not None
    assert timedelta(minutes=59) < scheduled - datetime.now(UTC) <= timedelta(hours=1)
    assert await mailbox_subjects(platform) == []
    assert [status for _, status, _ in await job_rows(platform)] == ["todo"]


async def test_naive_run_at_is_refused(committed_platform: Platform) -> None:
    async with committed_platform.db.transaction() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            await enqueue(
                session, send_email, run_at=datetime(2030, 1, 1), to=[], subject="", text=""
            )
        count = await session.scalar(select(func.count()).select_from(text("procrastinate_jobs")))
    assert count == 0


def test_periodic_housekeeping_is_registered() -> None:
    load_task_modules()
    periodic = {
        task.periodic_id: task for task in jobs_app.periodic_registry.periodic_tasks.values()
    }
    assert "core.prune_finished_jobs" in periodic
    assert periodic["core.prune_finished_jobs"].cron == "17 * * * *"
    assert "notifications.send_email" in jobs_app.tasks
