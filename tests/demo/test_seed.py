"""The synthetic-data seeder against a real, migrated PostgreSQL.

Most checks are SQL over what was actually written, so they hold the COPY column order, the
set-based aggregate refresh and the generator's invariants to account together.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

import asyncpg
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klearkarma.demo import data
from klearkarma.demo.seed import (
    BOOKING_COLUMNS,
    SERVICE_COLUMNS,
    SeedCounts,
    generate_rows,
    run_tokens,
    seed_database,
)

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
HASH = "$2b$04$abcdefghijklmnopqrstuuOIFbg5o1P4qRZ9TNuGxPo6nOqZ9U8C6"  # never checked here
SIZES = {"practitioners": 40, "seekers": 30, "bookings": 300}
MODALITIES = [
    "yoga", "meditation", "reiki", "ayurveda", "acupuncture", "naturopathy", "homeopathy",
    "massage", "sound-healing", "breathwork", "life-coaching", "nutrition", "pranic-healing",
    "aromatherapy", "counselling", "tai-chi", "hypnotherapy", "art-therapy",
]  # fmt: skip
APP_TABLES = "users, practitioners, services, availability_schedules, bookings, reviews"


@pytest_asyncio.fixture
async def conn(clean_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(clean_database_url)
    yield connection
    await connection.close()


async def seed(conn: asyncpg.Connection, seed: int = 2026, **sizes: int) -> SeedCounts:
    return await seed_database(conn, **{**SIZES, **sizes}, password_hash=HASH, now=NOW, seed=seed)


async def count(conn: asyncpg.Connection, sql: str, *args: object) -> int:
    return int(await conn.fetchval(sql, *args))


# --------------------------------------------------------------------------------------------
# Counts and relationships
# --------------------------------------------------------------------------------------------


async def test_counts_are_exact_and_match_the_database(conn: asyncpg.Connection) -> None:
    counts = await seed(conn)

    assert counts.users == 70
    assert counts.practitioners == 40
    assert counts.bookings == 300
    assert await count(conn, "SELECT count(*) FROM users") == 70
    assert await count(conn, "SELECT count(*) FROM users WHERE user_type = 'seeker'") == 30
    assert await count(conn, "SELECT count(*) FROM practitioners") == 40
    assert await count(conn, "SELECT count(*) FROM availability_schedules") == 40
    assert await count(conn, "SELECT count(*) FROM services") == counts.services
    assert await count(conn, "SELECT count(*) FROM bookings") == 300
    assert await count(conn, "SELECT count(*) FROM reviews") == counts.reviews
    assert 80 <= counts.services <= 160
    assert counts.reviews > 0


async def test_every_practitioner_has_two_to_four_services_in_its_specializations(
    conn: asyncpg.Connection,
) -> None:
    await seed(conn)

    offenders = await conn.fetch(
        """
        SELECT p.id
        FROM practitioners AS p LEFT JOIN services AS s ON s.practitioner_id = p.id
        GROUP BY p.id
        HAVING count(s.id) NOT BETWEEN 2 AND 4
            OR NOT bool_and(s.category = ANY (p.specializations))
        """
    )
    assert offenders == []
    # A service's mode is one the practitioner offers.
    assert (
        await count(
            conn,
            """
            SELECT count(*) FROM services AS s JOIN practitioners AS p ON p.id = s.practitioner_id
            WHERE (s.mode = 'online' AND NOT p.offers_online)
               OR (s.mode = 'in_person' AND NOT p.offers_in_person)
            """,
        )
        == 0
    )
    prices = await conn.fetch("SELECT price, duration_minutes FROM services")
    assert all(row["price"] % 50 == 0 and row["price"] > 0 for row in prices)
    assert {row["duration_minutes"] for row in prices} <= {30, 45, 60, 75, 90}


async def test_live_bookings_of_a_practitioner_never_overlap(conn: asyncpg.Connection) -> None:
    await seed(conn, bookings=600)

    overlapping = await count(
        conn,
        """
        SELECT count(*)
        FROM bookings AS a JOIN bookings AS b
          ON a.practitioner_id = b.practitioner_id AND a.id < b.id
         AND tstzrange(a.scheduled_at, a.ends_at) && tstzrange(b.scheduled_at, b.ends_at)
        WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
        """,
    )
    assert overlapping == 0


async def test_money_is_consistent(conn: asyncpg.Connection) -> None:
    await seed(conn)

    rows = await conn.fetch(
        """
        SELECT b.total_amount, b.commission_amount, b.currency, s.price, b.mode, s.mode AS smode,
               b.duration_minutes, s.duration_minutes AS sduration, b.scheduled_at, b.ends_at
        FROM bookings AS b JOIN services AS s ON s.id = b.service_id
        WHERE s.practitioner_id = b.practitioner_id
        """
    )
    assert len(rows) == 300  # every booking's service belongs to its practitioner
    for row in rows:
        assert row["total_amount"] == row["price"]
        expected = (row["total_amount"] * Decimal("0.15")).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert row["commission_amount"] == expected
        assert row["currency"] == "INR"
        assert row["mode"] == row["smode"]
        assert row["duration_minutes"] == row["sduration"]
        assert row["ends_at"] - row["scheduled_at"] == timedelta(minutes=row["duration_minutes"])


async def test_rating_aggregates_equal_the_recomputed_values(conn: asyncpg.Connection) -> None:
    await seed(conn)

    mismatches = await conn.fetch(
        """
        SELECT p.id
        FROM practitioners AS p
        LEFT JOIN (
            SELECT practitioner_id, round(avg(rating), 2) AS rating, count(*) AS n
            FROM reviews GROUP BY practitioner_id
        ) AS r ON r.practitioner_id = p.id
        LEFT JOIN (
            SELECT practitioner_id, count(*) AS n
            FROM bookings WHERE status = 'completed' GROUP BY practitioner_id
        ) AS c ON c.practitioner_id = p.id
        WHERE p.rating <> coalesce(r.rating, 0)
           OR p.review_count <> coalesce(r.n, 0)
           OR p.total_sessions <> coalesce(c.n, 0)
        """
    )
    assert mismatches == []
    assert await count(conn, "SELECT count(*) FROM practitioners WHERE review_count > 0") > 0


async def test_reviews_belong_to_completed_bookings(conn: asyncpg.Connection) -> None:
    await seed(conn)

    bad = await count(
        conn,
        """
        SELECT count(*) FROM reviews AS r JOIN bookings AS b ON b.id = r.booking_id
        WHERE b.status <> 'completed' OR r.seeker_id <> b.seeker_id
           OR r.practitioner_id <> b.practitioner_id OR r.created_at <= b.ends_at
           OR r.created_at > $1 OR length(r.comment) = 0
        """,
        NOW,
    )
    assert bad == 0
    ratings = await conn.fetch("SELECT rating, count(*) AS n FROM reviews GROUP BY rating")
    by_rating = {row["rating"]: row["n"] for row in ratings}
    assert sum(by_rating.get(r, 0) for r in (4, 5)) > sum(by_rating.get(r, 0) for r in (1, 2, 3))


async def test_only_verified_active_practitioners_and_active_seekers_have_bookings(
    conn: asyncpg.Connection,
) -> None:
    await seed(conn)

    assert (
        await count(
            conn,
            """
            SELECT count(*) FROM bookings AS b
            JOIN practitioners AS p ON p.id = b.practitioner_id
            JOIN users AS u ON u.id = b.seeker_id
            WHERE p.verification_status <> 'verified' OR NOT p.is_active
               OR u.user_type <> 'seeker' OR u.status <> 'active'
            """,
        )
        == 0
    )
    assert (
        await count(
            conn,
            """
            SELECT count(*) FROM practitioners
            WHERE (verification_status = 'verified') <> (verified_at IS NOT NULL)
            """,
        )
        == 0
    )


async def test_bookings_sit_inside_weekly_hours_at_local_half_hours(
    conn: asyncpg.Connection,
) -> None:
    await seed(conn)

    outside = await count(
        conn,
        """
        SELECT count(*)
        FROM bookings AS b JOIN availability_schedules AS a USING (practitioner_id)
        WHERE extract(minute FROM b.scheduled_at AT TIME ZONE a.timezone) NOT IN (0, 30)
           OR NOT EXISTS (
                SELECT 1 FROM jsonb_array_elements(a.weekly_hours) AS w
                WHERE w->>'day' = to_char(b.scheduled_at AT TIME ZONE a.timezone, 'FMday')
                  AND (b.scheduled_at AT TIME ZONE a.timezone)::time >= (w->>'start')::time
                  AND (b.ends_at AT TIME ZONE a.timezone)::time <= (w->>'end')::time
                  AND (b.ends_at AT TIME ZONE a.timezone)::date
                      = (b.scheduled_at AT TIME ZONE a.timezone)::date
           )
        """,
    )
    assert outside == 0


async def test_booking_timelines_fit_their_status(conn: asyncpg.Connection) -> None:
    await seed(conn, bookings=500)
    now = NOW

    rows = await conn.fetch(f"SELECT {', '.join(BOOKING_COLUMNS)} FROM bookings")
    statuses = {row["status"] for row in rows}
    assert statuses == {"completed", "cancelled", "no_show", "confirmed"}
    past = [row for row in rows if row["status"] != "confirmed"]
    upcoming = [row for row in rows if row["status"] == "confirmed"]
    assert 0 < len(upcoming) < len(rows) // 10
    completed = sum(row["status"] == "completed" for row in past) / len(past)
    assert 0.7 < completed < 0.92
    for row in rows:
        assert row["created_at"] <= now
        assert row["created_at"] < row["scheduled_at"]
        assert row["updated_at"] >= row["created_at"]
        assert row["hold_expires_at"] is None
        for column in ("confirmed_at", "completed_at", "cancelled_at", "updated_at"):
            assert row[column] is None or row[column] <= now
        if row["status"] == "confirmed":
            assert now < row["scheduled_at"] <= now + timedelta(days=14)
            assert row["confirmed_at"] is not None
        else:
            assert now - timedelta(days=181) <= row["scheduled_at"]
            assert row["ends_at"] < now
        if row["status"] == "completed":
            assert row["completed_at"] > row["ends_at"]
            assert row["confirmed_at"] is not None
        if row["status"] == "cancelled":
            assert row["cancelled_at"] < row["scheduled_at"]
            assert row["cancelled_by"] is not None
            assert row["cancellation_reason"]
        else:
            assert row["cancelled_at"] is None
            assert row["cancelled_by"] is None


# --------------------------------------------------------------------------------------------
# Realistic content
# --------------------------------------------------------------------------------------------

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(r"^[a-z0-9]+\.[a-z0-9]+\.[0-9a-f]{4,8}\.\d+@example\.(com|org|net)$")


async def test_users_look_real(conn: asyncpg.Connection) -> None:
    await seed(conn)

    users = await conn.fetch("SELECT * FROM users")
    for user in users:
        assert EMAIL.match(user["email"]), user["email"]
        assert user["phone"] is None or E164.match(user["phone"]), user["phone"]
        assert user["password_hash"] == HASH
        assert user["created_at"].tzinfo is not None
        assert user["created_at"] <= NOW
        assert user["locale"] in {country.locale for country in data.COUNTRIES.values()}
        assert user["deleted_at"] is None
    indian = [u for u in users if u["timezone"] == "Asia/Kolkata" and u["phone"]]
    assert indian
    assert all(u["phone"].startswith("+91") and len(u["phone"]) == 13 for u in indian)


async def test_practitioner_profiles_look_real(conn: asyncpg.Connection) -> None:
    await seed(conn, practitioners=120)

    cities = {city.name: city for city in data.CITIES}
    rows = await conn.fetch("SELECT * FROM practitioners")
    for row in rows:
        city = cities[row["city"]]
        assert (row["country"], row["timezone"]) == (city.country, city.timezone)
        north_km = (row["lat"] - city.lat) * 110.574
        east_km = (row["lng"] - city.lng) * 111.320 * math.cos(math.radians(city.lat))
        assert math.hypot(north_km, east_km) <= 8.01
        assert Decimal(800) <= row["hourly_rate"] <= Decimal(6000)
        assert row["hourly_rate"] % 50 == 0
        assert row["currency"] == "INR"
        assert 1 <= len(row["languages"]) <= 3
        assert set(row["languages"]) <= set(data.LANGUAGES)
        assert 1 <= len(row["specializations"]) <= 3
        assert len(set(row["specializations"])) == len(row["specializations"])
        assert set(row["specializations"]) <= set(MODALITIES)
        assert row["offers_online"] or row["offers_in_person"]
        assert row["city"] in row["bio"]
        assert 2 <= row["bio"].count(". ") + 1 <= 4
        assert row["display_name"].removeprefix("Dr. ")
        assert 0 <= row["experience_years"] <= 80
    share_indian = sum(row["country"] == "India" for row in rows) / len(rows)
    assert 0.6 < share_indian < 0.95
    verified = sum(row["verification_status"] == "verified" for row in rows) / len(rows)
    assert 0.7 < verified < 0.97
    certifications = await conn.fetch(
        "SELECT c FROM practitioners, jsonb_array_elements(certifications) AS c"
    )
    assert certifications
    assert (
        await count(
            conn,
            """
        SELECT count(*) FROM practitioners, jsonb_array_elements(certifications) AS c
        WHERE jsonb_typeof(c->'year') <> 'number' OR c->>'name' IS NULL OR c->>'issuer' IS NULL
        """,
        )
        == 0
    )


async def test_availability_schedules_are_plausible(conn: asyncpg.Connection) -> None:
    await seed(conn)

    rows = await conn.fetch(
        """
        SELECT a.*, p.timezone AS ptz,
               (SELECT count(DISTINCT w->>'day') FROM jsonb_array_elements(a.weekly_hours) w)
                   AS days
        FROM availability_schedules AS a JOIN practitioners AS p ON p.id = a.practitioner_id
        """
    )
    assert len(rows) == 40
    for row in rows:
        assert row["timezone"] == row["ptz"]
        assert 4 <= row["days"] <= 6
        assert row["buffer_before_minutes"] in {0, 5, 10, 15}
        assert row["buffer_after_minutes"] in {0, 5, 10, 15}
        assert 120 <= row["min_notice_minutes"] <= 1440
        assert 30 <= row["max_advance_days"] <= 90
        assert row["slot_interval_minutes"] in {15, 30, 60}
    overrides = await conn.fetch(
        "SELECT o FROM availability_schedules, jsonb_array_elements(overrides) AS o"
    )
    for (override,) in overrides:
        assert override.startswith('{"date": "')
        assert '"intervals": []' in override


# --------------------------------------------------------------------------------------------
# Determinism and repeat runs
# --------------------------------------------------------------------------------------------


def pure(seed: int = 2026, token: str = "beef") -> list[tuple[object, ...]]:
    rows = generate_rows(
        **SIZES, password_hash=HASH, now=NOW, seed=seed, modalities=MODALITIES, token=token
    )
    return [row for _, _, table in rows.tables() for row in table]


def test_generator_is_a_pure_function_of_its_arguments() -> None:
    assert pure() == pure()
    assert pure() != pure(seed=2027)
    assert pure() != pure(token="cafe")


async def test_same_seed_on_a_fresh_database_gives_the_same_people(
    conn: asyncpg.Connection,
) -> None:
    query = "SELECT u.email, p.city FROM users u LEFT JOIN practitioners p ON p.user_id = u.id"
    await seed(conn)
    first = sorted(tuple(row) for row in await conn.fetch(query))
    await conn.execute(f"TRUNCATE {APP_TABLES} CASCADE")
    await seed(conn)
    second = sorted(tuple(row) for row in await conn.fetch(query))

    assert first == second
    # ...and the database holds exactly what the pure generator produces for the first token.
    rows = generate_rows(
        **SIZES, password_hash=HASH, now=NOW, seed=2026, modalities=MODALITIES,
        token=run_tokens(2026)[0],
    )  # fmt: skip
    assert sorted(str(row[1]) for row in rows.users) == sorted(email for email, _ in first)


async def test_seeding_twice_appends_and_keeps_emails_unique(conn: asyncpg.Connection) -> None:
    first = await seed(conn)
    second = await seed(conn)

    assert first.users == second.users == 70
    assert await count(conn, "SELECT count(*) FROM users") == 140
    assert await count(conn, "SELECT count(DISTINCT lower(email)) FROM users") == 140
    assert await count(conn, "SELECT count(*) FROM practitioners") == 80
    tokens = await conn.fetch("SELECT DISTINCT split_part(email, '.', 3) AS token FROM users")
    assert len(tokens) == 2


async def test_rolls_back_with_an_enclosing_transaction(conn: asyncpg.Connection) -> None:
    # The demo loader calls seed_database inside its own transaction: it must nest.
    transaction = conn.transaction()
    await transaction.start()
    await seed(conn)
    assert await count(conn, "SELECT count(*) FROM users") == 70
    await transaction.rollback()

    assert await count(conn, "SELECT count(*) FROM users") == 0


async def test_empty_request_writes_nothing(conn: asyncpg.Connection) -> None:
    counts = await seed(conn, practitioners=0, seekers=0, bookings=0)

    assert counts == SeedCounts(users=0, practitioners=0, services=0, bookings=0, reviews=0)
    assert await count(conn, "SELECT count(*) FROM users") == 0


def test_rejects_naive_now_and_bad_shares() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_rows(
            **SIZES, password_hash=HASH, now=NOW.replace(tzinfo=None), seed=1,
            modalities=MODALITIES, token="abcd",
        )  # fmt: skip
    with pytest.raises(ValueError, match="verified_share"):
        generate_rows(
            **SIZES, password_hash=HASH, now=NOW, seed=1, modalities=MODALITIES, token="abcd",
            verified_share=1.5,
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Properties of the pure generator over many seeds and sizes
# --------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    practitioners=st.integers(min_value=0, max_value=15),
    seekers=st.integers(min_value=0, max_value=10),
    bookings=st.integers(min_value=0, max_value=120),
    verified_share=st.floats(min_value=0.0, max_value=1.0),
)
def test_generated_rows_keep_their_invariants(
    seed: int, practitioners: int, seekers: int, bookings: int, verified_share: float
) -> None:
    rows = generate_rows(
        practitioners=practitioners, seekers=seekers, bookings=bookings, password_hash=HASH,
        now=NOW, seed=seed, modalities=MODALITIES, token="f00d", verified_share=verified_share,
    )  # fmt: skip
    assert len(rows.users) == practitioners + seekers
    assert len({str(row[1]).lower() for row in rows.users}) == len(rows.users)
    assert len(rows.bookings) <= bookings

    specs = {row[0]: set(cast(list[str], row[9])) for row in rows.practitioners}
    verified = {row[0] for row in rows.practitioners if row[11] == "verified"}
    service_index = {name: i for i, name in enumerate(SERVICE_COLUMNS)}
    per_practitioner: dict[object, int] = {}
    for service in rows.services:
        owner = service[service_index["practitioner_id"]]
        per_practitioner[owner] = per_practitioner.get(owner, 0) + 1
        assert service[service_index["category"]] in specs[owner]
    assert all(2 <= n <= 4 for n in per_practitioner.values())
    assert set(per_practitioner) == set(specs)

    column = {name: i for i, name in enumerate(BOOKING_COLUMNS)}
    live: dict[object, list[tuple[datetime, datetime]]] = {}
    for booking in rows.bookings:
        assert booking[column["practitioner_id"]] in verified
        total = booking[column["total_amount"]]
        assert isinstance(total, Decimal)
        assert booking[column["commission_amount"]] == (total * Decimal("0.15")).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if booking[column["status"]] != "cancelled":
            live.setdefault(booking[column["practitioner_id"]], []).append(
                (
                    cast(datetime, booking[column["scheduled_at"]]),
                    cast(datetime, booking[column["ends_at"]]),
                )
            )
    for periods in live.values():
        periods.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(periods))
