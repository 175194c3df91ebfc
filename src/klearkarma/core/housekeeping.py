"""Periodic upkeep of the platform's own machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klearkarma.core import idempotency
from klearkarma.core.jobs import jobs_app, task

if TYPE_CHECKING:
    from klearkarma.platform import Platform

FINISHED_JOB_RETENTION_HOURS = 7 * 24


@task("core.prune_finished_jobs", queue="maintenance", periodic="17 * * * *", retry=False)
async def prune_finished_jobs(platform: Platform, *, timestamp: int) -> None:
    """Drop succeeded jobs after a week so the queue table stays small; failures stay for review."""
    await jobs_app.job_manager.delete_old_jobs(nb_hours=FINISHED_JOB_RETENTION_HOURS)


@task("core.prune_idempotency_keys", queue="maintenance", periodic="41 * * * *", retry=False)
async def prune_idempotency_keys(platform: Platform, *, timestamp: int) -> None:
    """Forget Idempotency-Keys after their 24 hours."""
    async with platform.db.transaction() as session:
        await idempotency.prune(session)
