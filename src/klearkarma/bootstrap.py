"""Start-up: bring the schema up to date, create the configured admin, load demo data."""

from __future__ import annotations

import asyncio

import structlog

from klearkarma.config import Settings
from klearkarma.core import migrate
from klearkarma.identity import service as identity
from klearkarma.platform import Platform, resolve_database_url

log = structlog.get_logger("klearkarma.bootstrap")


async def ensure_configured_admin(platform: Platform) -> None:
    settings = platform.settings
    if not (settings.admin_email and settings.admin_password):
        return
    async with platform.db.transaction() as session:
        _, created = await identity.ensure_admin(
            session,
            email=settings.admin_email,
            password=settings.admin_password.get_secret_value(),
            password_rounds=settings.password_rounds,
        )
    if created:
        log.info("admin.created", source="environment")


async def start_platform(settings: Settings) -> Platform:
    """Everything `serve` needs before it takes the first request."""
    database_url = await asyncio.to_thread(resolve_database_url, settings)
    await asyncio.to_thread(migrate.upgrade, database_url)
    platform = Platform.build(settings, database_url=database_url)
    await ensure_configured_admin(platform)
    if settings.demo_data:
        from klearkarma.demo.loader import load_demo_data

        await load_demo_data(platform)
    if settings.worker_in_process:
        platform.start_worker()
    return platform
