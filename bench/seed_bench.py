"""Benchmark the synthetic-data seeder on a fresh, migrated database.

    uv run python bench/seed_bench.py --practitioners 100000 --seekers 20000 --bookings 100000

The target is 100,000 practitioners (with everything hanging off them) in well under five
minutes on a two-core machine. The database ``kk_bench_seed`` on ``$DATABASE_URL``'s server is
dropped and recreated each run so figures are comparable; the migrations run before the clock
starts, because they are not the seeder's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.engine import make_url

from klearkarma.core import migrate
from klearkarma.core.db import libpq_url
from klearkarma.demo.seed import SeedCounts, seed_database
from klearkarma.identity.passwords import hash_password

BENCH_DATABASE = "kk_bench_seed"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=100_000)
    parser.add_argument("--seekers", type=int, default=20_000)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


async def _recreate_database(server_url: str) -> str:
    admin = await asyncpg.connect(
        make_url(server_url).set(database="postgres").render_as_string(False)
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await admin.close()
    return make_url(server_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


async def _drop_database(server_url: str) -> None:
    admin = await asyncpg.connect(
        make_url(server_url).set(database="postgres").render_as_string(False)
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()


async def _run(args: argparse.Namespace) -> tuple[SeedCounts, int, float]:
    server_url = libpq_url(os.environ.get("DATABASE_URL", DEFAULT_SERVER))
    url = await _recreate_database(server_url)
    await asyncio.to_thread(migrate.upgrade, url)
    password_hash = hash_password("KlearKarma!2026", 4)  # one hash shared by every user
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        counts = await seed_database(
            conn,
            practitioners=args.practitioners,
            seekers=args.seekers,
            bookings=args.bookings,
            password_hash=password_hash,
            now=datetime.now(UTC),
            seed=args.seed,
        )
        elapsed = time.perf_counter() - started
        # Availability rows are not in SeedCounts; count them for the rows/second figure.
        schedules = await conn.fetchval("SELECT count(*) FROM availability_schedules")
    finally:
        await conn.close()
    if not args.keep:
        await _drop_database(server_url)
    return counts, int(schedules), elapsed


def main() -> None:
    args = _parse_args()
    counts, schedules, elapsed = asyncio.run(_run(args))
    rows = (
        counts.users
        + counts.practitioners
        + counts.services
        + schedules
        + counts.bookings
        + counts.reviews
    )
    print(
        f"users={counts.users} practitioners={counts.practitioners} services={counts.services} "
        f"availability_schedules={schedules} bookings={counts.bookings} reviews={counts.reviews}"
    )
    print(f"elapsed: {elapsed:.1f} s  rows: {rows}  rate: {rows / elapsed:,.0f} rows/s")


if __name__ == "__main__":
    main()
