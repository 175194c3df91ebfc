"""The ``klearkarma`` command: serve, worker, migrate, create-admin, seed, ledger, payments."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from klearkarma.config import Settings

if TYPE_CHECKING:
    from klearkarma.platform import Platform

cli = typer.Typer(help="Klear Karma platform commands.", no_args_is_help=True, add_completion=False)


def _settings(**overrides: object) -> Settings:
    base = Settings()
    changes = {key: value for key, value in overrides.items() if value is not None}
    return base.model_copy(update=changes) if changes else base


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default: $HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: $PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="HTTP worker processes")] = 1,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="proxies trusted for X-Forwarded-For")
    ] = "127.0.0.1",
) -> None:
    """Serve the web app and API (with an in-process job worker in development)."""
    import uvicorn

    settings = _settings(host=host, port=port)
    uvicorn.run(
        "klearkarma.cli:_app_from_environment" if workers > 1 else _app(settings),  # type: ignore[arg-type]
        factory=workers > 1,
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_config=None,
        access_log=False,
        server_header=False,
    )


def _app(settings: Settings) -> object:
    from klearkarma.app import create_app
    from klearkarma.core.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def _app_from_environment() -> object:
    return _app(Settings())


def _run_worker(concurrency: int, queues: list[str] | None, metrics_port: int | None) -> None:
    from klearkarma.core import migrate
    from klearkarma.core.jobs import Worker
    from klearkarma.core.logging import configure_logging
    from klearkarma.platform import Platform, resolve_database_url

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if metrics_port:
        from prometheus_client import start_http_server

        from klearkarma.core.metrics import REGISTRY

        start_http_server(metrics_port, registry=REGISTRY)

    async def main() -> None:
        database_url = resolve_database_url(settings)
        await asyncio.to_thread(migrate.upgrade, database_url)
        platform = Platform.build(settings, database_url=database_url)
        try:
            await Worker(platform, concurrency=concurrency, queues=queues).run()
        finally:
            await platform.close()

    asyncio.run(main())


@cli.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="jobs run at once per process")] = 4,
    processes: Annotated[int, typer.Option(min=1, help="worker processes to start")] = 1,
    queue: Annotated[list[str] | None, typer.Option(help="only these queues (repeatable)")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve /metrics for this worker on this port")
    ] = None,
) -> None:
    """Run job workers as separate processes (scale these independently of `serve`)."""
    if processes == 1:
        _run_worker(concurrency, queue, metrics_port)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(
            target=_run_worker,
            args=(concurrency, queue, metrics_port + index if metrics_port else None),
            name=f"klearkarma-worker-{index}",
        )
        for index in range(processes)
    ]
    for child in children:
        child.start()
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        for child in children:
            child.terminate()
            child.join()
    failed = [child.name for child in children if child.exitcode not in (0, None, -15)]
    if failed:
        raise typer.Exit(1)


@cli.command()
def migrate() -> None:
    """Apply the database migrations (also done automatically at start-up)."""
    from klearkarma.core import migrate as migrations
    from klearkarma.platform import resolve_database_url

    migrations.upgrade(resolve_database_url(Settings()))
    typer.echo("database schema is up to date")


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="the admin's email")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an admin account (admins never come from registration)."""
    from klearkarma.core import migrate as migrations
    from klearkarma.core.errors import AppError
    from klearkarma.identity.service import ensure_admin
    from klearkarma.platform import Platform, resolve_database_url

    settings = Settings()
    if len(password) < 10:
        raise typer.BadParameter("use at least 10 characters", param_hint="--password")

    async def main() -> bool:
        database_url = resolve_database_url(settings)
        await asyncio.to_thread(migrations.upgrade, database_url)
        platform = Platform.build(settings, database_url=database_url)
        try:
            async with platform.db.transaction() as session:
                _, created = await ensure_admin(
                    session,
                    email=email,
                    password=password,
                    password_rounds=settings.password_rounds,
                )
            return created
        finally:
            await platform.close()

    try:
        created = asyncio.run(main())
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"admin {email} {'created' if created else 'already exists'}")


@cli.command()
def seed(
    practitioners: Annotated[int, typer.Option(min=0)] = 100,
    seekers: Annotated[int, typer.Option(min=0)] = 200,
    bookings: Annotated[int, typer.Option(min=0)] = 1000,
    random_seed: Annotated[int, typer.Option("--seed", help="random seed")] = 2026,
) -> None:
    """Add realistic synthetic practitioners, seekers, bookings and reviews."""
    import asyncpg

    from klearkarma.core import migrate as migrations
    from klearkarma.core.db import libpq_url
    from klearkarma.demo.loader import DEMO_PASSWORD
    from klearkarma.demo.seed import seed_database
    from klearkarma.identity.passwords import hash_password
    from klearkarma.platform import resolve_database_url

    settings = Settings()

    async def main() -> None:
        database_url = resolve_database_url(settings)
        await asyncio.to_thread(migrations.upgrade, database_url)
        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            started = time.perf_counter()
            counts = await seed_database(
                connection,
                practitioners=practitioners,
                seekers=seekers,
                bookings=bookings,
                password_hash=hash_password(DEMO_PASSWORD, settings.password_rounds),
                now=datetime.now(UTC),
                seed=random_seed,
            )
            elapsed = time.perf_counter() - started
        finally:
            await connection.close()
        typer.echo(
            f"seeded {counts.users} users, {counts.practitioners} practitioners, "
            f"{counts.services} services, {counts.bookings} bookings, {counts.reviews} reviews "
            f"in {elapsed:.1f}s (every generated account's password: {DEMO_PASSWORD})"
        )

    asyncio.run(main())


ledger_cli = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
payments_cli = typer.Typer(help="Payments operations.", no_args_is_help=True)
cli.add_typer(ledger_cli, name="ledger")
cli.add_typer(payments_cli, name="payments")


def _with_platform(work: Callable[[Platform], Awaitable[int]]) -> int:
    """Run ``work`` against the configured database (migrated first), then close everything."""
    from klearkarma.core import migrate as migrations
    from klearkarma.platform import Platform, resolve_database_url

    settings = Settings()

    async def main() -> int:
        database_url = resolve_database_url(settings)
        await asyncio.to_thread(migrations.upgrade, database_url)
        platform = Platform.build(settings, database_url=database_url)
        try:
            return await work(platform)
        finally:
            await platform.close()

    return asyncio.run(main())


@ledger_cli.command("verify")
def ledger_verify() -> None:
    """Check every ledger invariant; exit 1 and list the problems when the books are wrong."""
    from klearkarma.payments import audit

    async def work(platform: Platform) -> int:
        async with platform.db.transaction() as session:
            problems = await audit.verify(session)
        for problem in problems:
            typer.echo(f"problem: {problem}", err=True)
        typer.echo("ledger balanced" if not problems else f"{len(problems)} problem(s)")
        return len(problems)

    if _with_platform(work):
        raise typer.Exit(1)


@payments_cli.command("reconcile")
def payments_reconcile(
    days: Annotated[int, typer.Option(min=1, max=90, help="look back this many days")] = 3,
) -> None:
    """Compare the gateway's records with ours and the ledger; print every mismatch."""
    from datetime import timedelta

    from klearkarma.payments import reconcile

    async def work(platform: Platform) -> int:
        async with platform.db.transaction() as session:
            report = await reconcile.reconcile(
                session, platform.gateway, platform.cache, since=timedelta(days=days)
            )
        for mismatch in report.mismatches:
            typer.echo(f"mismatch: {mismatch}")
        typer.echo(f"checked {report.checked} intents, {len(report.mismatches)} mismatch(es)")
        return len([m for m in report.mismatches if not m.get("healed")])

    if _with_platform(work):
        raise typer.Exit(1)


@payments_cli.command("payouts")
def payments_payouts() -> None:
    """Release due earnings and pay out every available balance now (the daily job's work)."""
    from datetime import timedelta

    from klearkarma.payments import payouts, tasks

    async def work(platform: Platform) -> int:
        async with platform.db.transaction() as session:
            released = await payouts.release_due(
                session, timedelta(days=platform.settings.payout_holding_days)
            )
        sent = await tasks.pay_out(platform)
        typer.echo(f"released {released} payment(s), sent {sent} payout(s)")
        return 0

    _with_platform(work)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
