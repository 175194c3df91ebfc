"""Fast, deterministic synthetic marketplace data for demos and benchmarks.

Rows are produced in plain Python from one seeded ``random.Random`` (``generate_rows``, pure: no
I/O, no clock) and written with PostgreSQL ``COPY`` (``seed_database``); the ORM would be two
orders of magnitude slower at the 100,000-practitioner scale the benchmark asks for.

Times are handled as integer Unix seconds/minutes while generating and turned into aware UTC
datetimes only when a row is built: slot arithmetic and overlap checks stay cheap integer work.
Each practitioner's occupied time is a set of 15-minute cells (every IANA offset is a multiple
of 15 minutes, so local ``:00``/``:30`` starts always land on a cell boundary).
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from klearkarma.demo import data
from klearkarma.demo.data import City, ModalityVocab

Row = tuple[object, ...]

SEED_LOCK_ID = 7_250_515_003  # serialises concurrent seeders so run tokens cannot collide
COMMISSION_RATE = Decimal("0.15")
CENT = Decimal("0.01")
PAST_DAYS = 180
UPCOMING_DAYS = 14
UPCOMING_SHARE = 0.04  # of the requested bookings, confirmed and still to come
CELL = 15  # minutes; the overlap-tracking grid
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
MAX_SLOT_ATTEMPTS = 40

USER_COLUMNS = (
    "id", "email", "password_hash", "first_name", "last_name", "phone", "date_of_birth",
    "gender", "user_type", "status", "email_verified", "phone_verified", "timezone", "locale",
    "avatar_key", "last_login_at", "deleted_at", "created_at", "updated_at",
)  # fmt: skip
PRACTITIONER_COLUMNS = (
    "id", "user_id", "display_name", "headline", "bio", "experience_years", "hourly_rate",
    "currency", "languages", "specializations", "certifications", "verification_status",
    "verified_at", "is_active", "timezone", "offers_online", "offers_in_person", "lat", "lng",
    "city", "country", "rating", "review_count", "total_sessions", "created_at", "updated_at",
)  # fmt: skip
SERVICE_COLUMNS = (
    "id", "practitioner_id", "name", "description", "category", "duration_minutes", "price",
    "currency", "mode", "is_active", "created_at", "updated_at",
)  # fmt: skip
AVAILABILITY_COLUMNS = (
    "practitioner_id", "timezone", "weekly_hours", "overrides", "buffer_before_minutes",
    "buffer_after_minutes", "min_notice_minutes", "max_advance_days", "slot_interval_minutes",
    "daily_booking_limit", "updated_at",
)  # fmt: skip
BOOKING_COLUMNS = (
    "id", "seeker_id", "practitioner_id", "service_id", "status", "mode", "scheduled_at",
    "ends_at", "duration_minutes", "total_amount", "commission_amount", "currency", "notes",
    "session_notes", "hold_expires_at", "confirmed_at", "completed_at", "cancelled_at",
    "cancelled_by", "cancellation_reason", "created_at", "updated_at",
)  # fmt: skip
REVIEW_COLUMNS = (
    "id", "booking_id", "seeker_id", "practitioner_id", "rating", "comment", "created_at",
)  # fmt: skip

_REFRESH_RATINGS = """
UPDATE practitioners AS p
SET rating = s.rating, review_count = s.review_count
FROM (
    SELECT r.practitioner_id, round(avg(r.rating), 2) AS rating, count(*) AS review_count
    FROM reviews AS r JOIN unnest($1::uuid[]) AS run(id) ON run.id = r.practitioner_id
    GROUP BY r.practitioner_id
) AS s
WHERE p.id = s.practitioner_id
"""
_REFRESH_SESSIONS = """
UPDATE practitioners AS p
SET total_sessions = s.total_sessions
FROM (
    SELECT b.practitioner_id, count(*) AS total_sessions
    FROM bookings AS b JOIN unnest($1::uuid[]) AS run(id) ON run.id = b.practitioner_id
    WHERE b.status = 'completed'
    GROUP BY b.practitioner_id
) AS s
WHERE p.id = s.practitioner_id
"""


@dataclass(frozen=True)
class SeedCounts:
    """How many rows one ``seed_database`` call added."""

    users: int
    practitioners: int
    services: int
    bookings: int
    reviews: int


@dataclass
class SeedRows:
    """Every generated row, per table, in the column order of the ``*_COLUMNS`` tuples."""

    users: list[Row] = field(default_factory=list)
    practitioners: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)
    availability: list[Row] = field(default_factory=list)
    bookings: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)

    def tables(self) -> list[tuple[str, tuple[str, ...], list[Row]]]:
        """(table, columns, rows) in foreign-key order, ready for COPY."""
        return [
            ("users", USER_COLUMNS, self.users),
            ("practitioners", PRACTITIONER_COLUMNS, self.practitioners),
            ("services", SERVICE_COLUMNS, self.services),
            ("availability_schedules", AVAILABILITY_COLUMNS, self.availability),
            ("bookings", BOOKING_COLUMNS, self.bookings),
            ("reviews", REVIEW_COLUMNS, self.reviews),
        ]

    @property
    def practitioner_ids(self) -> list[uuid.UUID]:
        return [row[0] for row in self.practitioners]  # type: ignore[misc]

    def counts(self) -> SeedCounts:
        return SeedCounts(
            users=len(self.users),
            practitioners=len(self.practitioners),
            services=len(self.services),
            bookings=len(self.bookings),
            reviews=len(self.reviews),
        )


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


async def seed_database(
    conn: asyncpg.Connection,
    *,
    practitioners: int,
    seekers: int,
    bookings: int,
    password_hash: str,
    now: datetime,
    seed: int = 2026,
    verified_share: float = 0.85,
) -> SeedCounts:
    """Append synthetic rows; safe to call on a non-empty database (emails stay unique).

    Everything happens in one transaction (a savepoint when ``conn`` is already inside one, as
    in the demo loader), so a failed run leaves nothing behind.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SEED_LOCK_ID)
        modalities = [
            row["slug"]
            for row in await conn.fetch("SELECT slug FROM modalities ORDER BY sort_order")
        ]
        token = await _unused_token(conn, seed)
        rows = generate_rows(
            practitioners=practitioners,
            seekers=seekers,
            bookings=bookings,
            password_hash=password_hash,
            now=now,
            seed=seed,
            verified_share=verified_share,
            modalities=modalities,
            token=token,
        )
        for table, columns, records in rows.tables():
            if records:
                await conn.copy_records_to_table(table, records=records, columns=columns)
        if rows.reviews:
            await conn.execute(_REFRESH_RATINGS, rows.practitioner_ids)
        if rows.bookings:
            await conn.execute(_REFRESH_SESSIONS, rows.practitioner_ids)
    return rows.counts()


def run_tokens(seed: int) -> list[str]:
    """Candidate e-mail tokens for ``seed``, in the order they are tried.

    The first is used on a database that has none of them, so a fresh database always gets the
    same e-mails for the same seed; a repeat run skips to the next unused one.
    """
    rng = random.Random(seed ^ 0x5EED_70CE)  # noqa: S311 - reproducible on purpose, not secret
    return [f"{rng.getrandbits(16):04x}" for _ in range(64)] + [
        f"{rng.getrandbits(32):08x}" for _ in range(64)
    ]


async def _unused_token(conn: asyncpg.Connection, seed: int) -> str:
    for token in run_tokens(seed):
        taken = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM users WHERE email LIKE $1)", f"%.{token}.%"
        )
        if not taken:
            return token
    raise RuntimeError("no unused e-mail token left for this seed; use another --seed")


def generate_rows(
    *,
    practitioners: int,
    seekers: int,
    bookings: int,
    password_hash: str,
    now: datetime,
    seed: int,
    modalities: Sequence[str],
    token: str,
    verified_share: float = 0.85,
) -> SeedRows:
    """All rows of one run, as a pure function of its arguments (the determinism contract)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if practitioners and not modalities:
        raise ValueError("the modalities table is empty; run the migrations first")
    ctx = _Context(
        # The token is part of the seed so that a repeat run (new token) draws new ids too.
        rng=random.Random(f"{seed}:{token}"),  # noqa: S311 - reproducible on purpose, not secret
        now=now.astimezone(UTC),
        token=token,
        password_hash=password_hash,
        modalities=tuple(modalities),
    )
    rows = SeedRows()
    plans = [_add_practitioner(ctx, rows, verified_share) for _ in range(practitioners)]
    seeker_ids = [_add_seeker(ctx, rows) for _ in range(seekers)]
    _add_bookings(ctx, rows, plans, seeker_ids, bookings)
    return rows


# --------------------------------------------------------------------------------------------
# Shared state and small helpers
# --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    rng: random.Random
    now: datetime
    token: str
    password_hash: str
    modalities: tuple[str, ...]
    user_seq: int = 0
    now_s: int = 0
    city_cum_weights: list[float] = field(default_factory=list)
    modality_cum_weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now_s = int(self.now.timestamp())
        self.city_cum_weights = list(accumulate(city.weight for city in data.CITIES))
        self.modality_cum_weights = list(
            accumulate(data.MODALITY_WEIGHTS.get(slug, 1.0) for slug in self.modalities)
        )

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def city(self) -> City:
        return self.rng.choices(data.CITIES, cum_weights=self.city_cum_weights)[0]

    def ago(self, low_s: int, high_s: int) -> int:
        """A Unix time between ``high_s`` and ``low_s`` seconds before now."""
        return self.now_s - self.rng.randint(low_s, high_s)


@dataclass(slots=True)
class _ServicePlan:
    id: uuid.UUID
    category: str
    duration: int
    price: int
    mode: str
    active: bool


@dataclass(frozen=True, slots=True)
class _Schedule:
    """The parts of an availability schedule that constrain generated bookings."""

    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]  # per weekday: (start, end) local minutes
    days_off: frozenset[int]  # local date ordinals
    step: int  # minutes between possible start times
    buffer_before: int
    buffer_after: int
    min_notice: int
    daily_limit: int | None


@dataclass(slots=True)
class _PractitionerPlan:
    """What the booking generator needs to know about a practitioner."""

    id: uuid.UUID
    user_id: uuid.UUID
    first_name: str
    bookable: bool
    quality_tier: int
    schedule: _Schedule
    services: list[_ServicePlan] = field(default_factory=list)


@dataclass(slots=True)
class _Person:
    first_name: str
    last_name: str
    gender: str | None
    email: str
    phone: str | None
    date_of_birth: date | None


DAY = 86_400
_NOT_EMAIL = re.compile(r"[^a-z0-9]")


def _ts(unix_seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=unix_seconds)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def _offset_minutes(zone: str, ordinal: int) -> int:
    """The zone's UTC offset at local noon of that day (working hours never straddle DST)."""
    local_noon = datetime.fromordinal(ordinal).replace(hour=12, tzinfo=_zone(zone))
    offset = local_noon.utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


@cache
def _today(zone: str, now_s: int) -> int:
    """Today's date ordinal in the zone."""
    return (EPOCH + timedelta(seconds=now_s)).astimezone(_zone(zone)).date().toordinal()


@cache
def _email_part(name: str) -> str:
    return _NOT_EMAIL.sub("", name.lower())


@cache
def _money(amount: int) -> tuple[Decimal, Decimal]:
    """(total, commission) for a whole-rupee price: 15%, to the paisa, half-up."""
    total = Decimal(amount).quantize(CENT)
    return total, (total * COMMISSION_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


def _vocab(slug: str) -> ModalityVocab:
    return data.MODALITIES.get(slug, data.GENERIC_MODALITY)


def _hhmm_minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _join_words(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------


def _person(ctx: _Context, city: City, *, min_age: int, dob_share: float) -> _Person:
    rng = ctx.rng
    gender: str | None = rng.choices(data.GENDERS, data.GENDER_WEIGHTS)[0]
    indian = city.country == data.INDIA or rng.random() < data.INDIAN_NAME_SHARE_ABROAD
    feminine = gender == "female" or (gender == "non_binary" and rng.random() < 0.5)
    if indian:
        firsts = data.INDIAN_FEMALE_FIRST_NAMES if feminine else data.INDIAN_MALE_FIRST_NAMES
        last = rng.choice(data.INDIAN_LAST_NAMES)
    else:
        firsts = (
            data.INTERNATIONAL_FEMALE_FIRST_NAMES
            if feminine
            else data.INTERNATIONAL_MALE_FIRST_NAMES
        )
        last = rng.choice(data.INTERNATIONAL_LAST_NAMES)
    first = rng.choice(firsts)
    if rng.random() < 0.15:
        gender = None  # prefers not to say
    ctx.user_seq += 1
    email = (
        f"{_email_part(first)}.{_email_part(last)}.{ctx.token}.{ctx.user_seq}"
        f"@{rng.choice(data.EMAIL_DOMAINS)}"
    )
    country = data.COUNTRIES[city.country]
    phone = None
    if rng.random() < 0.85:
        prefix = rng.choice(country.mobile_prefixes)
        rest = country.national_digits - len(prefix)
        phone = f"+{country.dial_code}{prefix}{rng.randrange(10**rest):0{rest}d}"
    birth = None
    if rng.random() < dob_share:
        birth = ctx.now.date() - timedelta(days=rng.randint(min_age * 365, 68 * 365))
    return _Person(first, last, gender, email, phone, birth)


def _user_row(
    ctx: _Context, person: _Person, city: City, user_type: str, created_s: int, status: str
) -> tuple[uuid.UUID, Row]:
    rng = ctx.rng
    user_id = ctx.new_id()
    last_login_s = ctx.ago(0, max(0, ctx.now_s - created_s)) if rng.random() < 0.9 else None
    row: Row = (
        user_id,
        person.email,
        ctx.password_hash,
        person.first_name,
        person.last_name,
        person.phone,
        person.date_of_birth,
        person.gender,
        user_type,
        status,
        rng.random() < 0.92,
        person.phone is not None and rng.random() < 0.7,
        city.timezone,
        data.COUNTRIES[city.country].locale,
        None,  # avatar_key: no stored image exists for generated users
        None if last_login_s is None else _ts(last_login_s),
        None,
        _ts(created_s),
        _ts(last_login_s if last_login_s is not None else created_s),
    )
    return user_id, row


def _add_seeker(ctx: _Context, rows: SeedRows) -> tuple[uuid.UUID, int]:
    """A seeker user; returns (id, created_at as Unix seconds)."""
    city = ctx.city()
    person = _person(ctx, city, min_age=18, dob_share=0.6)
    # Old enough an account to have booked anywhere in the past window.
    created_s = ctx.ago((PAST_DAYS + 30) * DAY, 900 * DAY)
    r = ctx.rng.random()
    status = "active" if r < 0.96 else ("inactive" if r < 0.99 else "suspended")
    user_id, row = _user_row(ctx, person, city, "seeker", created_s, status)
    rows.users.append(row)
    return user_id, created_s


# --------------------------------------------------------------------------------------------
# Practitioners
# --------------------------------------------------------------------------------------------


def _specializations(ctx: _Context) -> list[str]:
    rng = ctx.rng
    primary = rng.choices(ctx.modalities, cum_weights=ctx.modality_cum_weights)[0]
    wanted = rng.choices((1, 2, 3), (0.35, 0.4, 0.25))[0]
    specs = [primary]
    related = [slug for slug in data.AFFINITIES.get(primary, ()) if slug in ctx.modalities]
    while len(specs) < wanted and len(specs) < len(ctx.modalities):
        pool = related if related and rng.random() < 0.8 else ctx.modalities
        slug = rng.choice(pool)
        if slug not in specs:
            specs.append(slug)
        elif pool is related and all(s in specs for s in related):
            related = []
    return specs


def _languages(ctx: _Context, city: City, specs: Sequence[str]) -> list[str]:
    rng = ctx.rng
    chosen: list[str] = []
    if rng.random() < 0.9 or not city.languages:
        chosen.append("English")
    if city.country == data.INDIA and rng.random() < 0.6:
        chosen.append("Hindi")
    if city.languages and rng.random() < 0.55:
        chosen.append(rng.choice(city.languages))
    if rng.random() < 0.2 and {"yoga", "ayurveda", "meditation"} & set(specs):
        chosen.append("Sanskrit")
    unique = list(dict.fromkeys(chosen))[:3]
    return unique or ["English"]


def _hourly_rate(ctx: _Context, years: int, city: City) -> int:
    """INR per hour, a multiple of 50 in 800..6000; experience and big cities cost more."""
    base = (1200 + 55 * years) * (1.0 if city.country == data.INDIA else 1.8)
    raw = ctx.rng.lognormvariate(math.log(base), 0.3)
    return int(min(6000, max(800, round(raw / 50) * 50)))


def _certifications(ctx: _Context, specs: Sequence[str], years: int) -> list[dict[str, Any]]:
    rng = ctx.rng
    options = [cert for slug in specs for cert in _vocab(slug).certifications]
    count = min(len(options), rng.choices((0, 1, 2, 3), (0.1, 0.4, 0.35, 0.15))[0])
    first_year = ctx.now.year - years
    picked = [
        {"name": name, "issuer": issuer, "year": rng.randint(first_year, ctx.now.year)}
        for name, issuer in rng.sample(options, count)
    ]
    return sorted(picked, key=lambda cert: int(cert["year"]))


def _coordinates(ctx: _Context, city: City) -> tuple[float, float]:
    """A point uniformly inside 8 km of the city centre."""
    distance_km = 8.0 * math.sqrt(ctx.rng.random())
    bearing = ctx.rng.random() * math.tau
    lat = city.lat + distance_km * math.cos(bearing) / 110.574
    lng = city.lng + distance_km * math.sin(bearing) / (111.320 * math.cos(math.radians(city.lat)))
    return round(lat, 6), round(lng, 6)


def _profile_text(
    ctx: _Context,
    first: str,
    city: City,
    years: int,
    specs: Sequence[str],
    certifications: Sequence[dict[str, Any]],
    modes: tuple[bool, bool],
) -> tuple[str, str]:
    """(headline, bio): the bio has 2-4 sentences naming the specializations and the city."""
    rng = ctx.rng
    vocab = _vocab(specs[0])
    words = {
        "first": first,
        "city": city.name,
        "years": years,
        "noun": vocab.practitioner_noun,
        "Noun": _capitalise(vocab.practitioner_noun),
        "label": vocab.label,
        "specs": _join_words([_vocab(slug).label for slug in specs]),
        "benefit": rng.choice(vocab.benefits),
        "issuer": certifications[0]["issuer"] if certifications else "",
    }
    headline = rng.choice(data.HEADLINE_TEMPLATES).format(**words)
    sentences = [
        rng.choice(data.BIO_OPENINGS),
        rng.choice(data.BIO_SPECIALIZATION_SENTENCES),
    ]
    if certifications and rng.random() < 0.5:
        sentences.append(rng.choice(data.BIO_TRAINING_SENTENCES))
    if rng.random() < 0.6:
        sentences.append(data.BIO_MODE_SENTENCES[modes])
    elif rng.random() < 0.5:
        sentences.append(rng.choice(data.BIO_CLOSINGS))
    bio = " ".join(sentence.format(**words) for sentence in sentences)
    return _capitalise(headline), bio


def _add_practitioner(ctx: _Context, rows: SeedRows, verified_share: float) -> _PractitionerPlan:
    rng = ctx.rng
    city = ctx.city()
    person = _person(ctx, city, min_age=24, dob_share=0.8)
    specs = _specializations(ctx)
    years = int(rng.triangular(2, 35, 7))
    hands_on = any(_vocab(slug).hands_on for slug in specs)
    in_person = hands_on or rng.random() < 0.6
    online = not in_person or rng.random() < 0.75
    certifications = _certifications(ctx, specs, years)
    headline, bio = _profile_text(
        ctx, person.first_name, city, years, specs, certifications, (online, in_person)
    )

    r = rng.random()
    status = "verified" if r < verified_share else ("pending" if rng.random() < 0.7 else "rejected")
    if status == "verified":
        # Verified well before the booking window opens, so every booking postdates it.
        created_s = ctx.ago((PAST_DAYS + 60) * DAY, 1500 * DAY)
        verified_at = _ts(created_s + rng.randint(DAY, 14 * DAY))
        active = rng.random() < 0.97
    else:
        created_s = ctx.ago(3600, 120 * DAY)
        verified_at = None
        active = status == "pending"

    user_id, user_row = _user_row(
        ctx, person, city, "practitioner", created_s, "active" if active else "inactive"
    )
    rows.users.append(user_row)
    practitioner_id = ctx.new_id()
    doctor = any(_vocab(slug).doctor for slug in specs) and rng.random() < 0.55
    display_name = f"{'Dr. ' if doctor else ''}{person.first_name} {person.last_name}"
    lat, lng = _coordinates(ctx, city)
    rate = _hourly_rate(ctx, years, city)
    created = _ts(created_s)
    rows.practitioners.append(
        (
            practitioner_id,
            user_id,
            display_name,
            headline,
            bio,
            years,
            Decimal(rate).quantize(CENT),
            "INR",
            _languages(ctx, city, specs),
            specs,
            json.dumps(certifications),
            status,
            verified_at,
            active,
            city.timezone,
            online,
            in_person,
            lat,
            lng,
            city.name,
            city.country,
            Decimal("0.00"),  # rating, review_count, total_sessions: refreshed after COPY
            0,
            0,
            created,
            verified_at or created,
        )
    )
    plan = _PractitionerPlan(
        id=practitioner_id,
        user_id=user_id,
        first_name=person.first_name,
        bookable=status == "verified" and active,
        quality_tier=rng.choices((0, 1, 2), data.QUALITY_TIER_WEIGHTS)[0],
        schedule=_add_availability(ctx, rows, practitioner_id, city.timezone, created_s),
    )
    _add_services(ctx, rows, plan, specs, rate, created_s, (online, in_person))
    return plan


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def _add_services(
    ctx: _Context,
    rows: SeedRows,
    plan: _PractitionerPlan,
    specs: Sequence[str],
    hourly_rate: int,
    practitioner_created_s: int,
    modes: tuple[bool, bool],
) -> None:
    """2-4 services, each in one of the specializations, every specialization covered first."""
    rng = ctx.rng
    online, in_person = modes
    count = rng.choices((2, 3, 4), (0.35, 0.4, 0.25))[0]
    categories = list(specs[:count]) + [rng.choice(specs) for _ in range(count - len(specs))]
    used: set[str] = set()
    for index, category in enumerate(categories):
        vocab = _vocab(category)
        choices = [s for s in vocab.services if s[0] not in used]
        choices = choices or [s for s in data.GENERIC_MODALITY.services if s[0] not in used]
        name, description = rng.choice(choices)
        used.add(name)
        duration = rng.choice(vocab.durations)
        if vocab.hands_on or not online:
            mode = "in_person"
        elif not in_person:
            mode = "online"
        else:
            mode = "online" if rng.random() < 0.5 else "in_person"
        price = max(50, (hourly_rate * duration + 1500) // 3000 * 50)
        active = index == 0 or rng.random() < 0.93
        created_s = practitioner_created_s + rng.randint(
            0, min(30 * DAY, ctx.now_s - practitioner_created_s)
        )
        service_id = ctx.new_id()
        rows.services.append(
            (
                service_id,
                plan.id,
                name,
                description,
                category,
                duration,
                _money(price)[0],
                "INR",
                mode,
                active,
                _ts(created_s),
                _ts(created_s),
            )
        )
        plan.services.append(_ServicePlan(service_id, category, duration, price, mode, active))


# --------------------------------------------------------------------------------------------
# Availability
# --------------------------------------------------------------------------------------------


def _weekly_hours(ctx: _Context) -> list[tuple[int, tuple[tuple[str, str], ...]]]:
    """(weekday, intervals) for 4-6 working days: one usual day shape, sometimes varied."""
    rng = ctx.rng
    usual = rng.choice(data.DAY_SHAPES)
    working_days = rng.choices((4, 5, 6), (0.2, 0.5, 0.3))[0]
    days = sorted(rng.sample(range(7), working_days))
    return [(day, usual if rng.random() < 0.75 else rng.choice(data.DAY_SHAPES)) for day in days]


def _add_availability(
    ctx: _Context, rows: SeedRows, practitioner_id: uuid.UUID, timezone: str, created_s: int
) -> _Schedule:
    rng = ctx.rng
    weekly = _weekly_hours(ctx)
    hours: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
    for day, shape in weekly:
        hours[day] = tuple((_hhmm_minutes(start), _hhmm_minutes(end)) for start, end in shape)
    today = date.fromordinal(_today(timezone, ctx.now_s))
    days_off: list[date] = []
    if rng.random() < 0.35:
        days_off = sorted(
            {today + timedelta(days=rng.randint(2, 30)) for _ in range(rng.randint(1, 2))}
        )
    slot_interval = rng.choice((15, 30, 30, 60))
    schedule = _Schedule(
        timezone=timezone,
        hours=tuple(hours),
        days_off=frozenset(day.toordinal() for day in days_off),
        step=max(30, slot_interval),  # starts on the hour or half hour
        buffer_before=rng.choice((0, 0, 5, 10, 15)),
        buffer_after=rng.choice((0, 5, 10, 15, 15)),
        min_notice=rng.choice((120, 180, 240, 360, 720, 1440)),
        daily_limit=rng.randint(3, 8) if rng.random() < 0.3 else None,
    )
    weekly_json = [
        {"day": data.WEEKDAYS[day], "start": start, "end": end}
        for day, shape in weekly
        for start, end in shape
    ]
    overrides_json = [{"date": day.isoformat(), "intervals": []} for day in days_off]
    rows.availability.append(
        (
            practitioner_id,
            timezone,
            json.dumps(weekly_json),
            json.dumps(overrides_json),
            schedule.buffer_before,
            schedule.buffer_after,
            schedule.min_notice,
            rng.choice((30, 45, 60, 90)),
            slot_interval,
            schedule.daily_limit,
            _ts(created_s + rng.randint(0, min(30 * DAY, ctx.now_s - created_s))),
        )
    )
    return schedule


# --------------------------------------------------------------------------------------------
# Bookings and reviews
# --------------------------------------------------------------------------------------------


@dataclass
class _Calendar:
    """Occupied 15-minute cells and per-day counts of live bookings, per practitioner."""

    cells: dict[uuid.UUID, set[int]] = field(default_factory=dict)
    per_day: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)

    def try_reserve(self, plan: _PractitionerPlan, start_min: int, duration: int, day: int) -> bool:
        """Claim the slot, buffers included, unless it collides or the day is full."""
        if (
            plan.schedule.daily_limit is not None
            and self.per_day.get((plan.id, day), 0) >= plan.schedule.daily_limit
        ):
            return False
        first = (start_min - plan.schedule.buffer_before) // CELL
        last = -(-(start_min + duration + plan.schedule.buffer_after) // CELL)  # ceiling
        taken = self.cells.setdefault(plan.id, set())
        wanted = range(first, last)
        if any(cell in taken for cell in wanted):
            return False
        taken.update(wanted)
        self.per_day[(plan.id, day)] = self.per_day.get((plan.id, day), 0) + 1
        return True


def _slot(
    ctx: _Context, plan: _PractitionerPlan, duration: int, day_offset: int
) -> tuple[int, int] | None:
    """(start as Unix minutes, local day ordinal) inside the weekly hours, or None."""
    rng = ctx.rng
    today = _today(plan.schedule.timezone, ctx.now_s)
    ordinal = today + day_offset
    intervals = plan.schedule.hours[(ordinal + 6) % 7]  # date.fromordinal(1) is a Monday
    if not intervals:
        return None
    start, end = rng.choice(intervals)
    starts = (end - duration - start) // plan.schedule.step + 1
    if starts <= 0:
        return None
    local_start = start + plan.schedule.step * rng.randrange(starts)
    utc_min = (
        (ordinal - EPOCH_ORDINAL) * 1440
        + local_start
        - _offset_minutes(plan.schedule.timezone, ordinal)
    )
    return utc_min, ordinal


def _add_bookings(
    ctx: _Context,
    rows: SeedRows,
    plans: Sequence[_PractitionerPlan],
    seekers: Sequence[tuple[uuid.UUID, int]],
    count: int,
) -> None:
    """Past bookings (completed/cancelled/no-show) and a few upcoming confirmed ones.

    Popular practitioners and regular seekers get more bookings (Pareto weights); a slot that
    collides with one already taken is skipped and another drawn.
    """
    rng = ctx.rng
    bookable = [plan for plan in plans if plan.bookable]
    if not bookable or not seekers or count <= 0:
        return
    practitioner_weights = list(accumulate(rng.paretovariate(1.3) for _ in bookable))
    seeker_weights = list(accumulate(rng.paretovariate(1.6) for _ in seekers))
    calendar = _Calendar()
    upcoming = round(count * UPCOMING_SHARE)
    for index in range(count):
        future = index >= count - upcoming
        status = "confirmed" if future else _past_status(rng.random())
        for _ in range(MAX_SLOT_ATTEMPTS):
            plan = rng.choices(bookable, cum_weights=practitioner_weights)[0]
            service = rng.choice([s for s in plan.services if s.active])
            if future:
                found = _upcoming_slot(ctx, plan, service.duration)
            else:
                found = _slot(ctx, plan, service.duration, -rng.randint(1, PAST_DAYS))
                if found and found[0] + service.duration > ctx.now_s // 60 - 180:
                    found = None  # must have ended at least three hours ago
            if found is None:
                continue
            start_min, day = found
            if status != "cancelled" and not calendar.try_reserve(
                plan, start_min, service.duration, day
            ):
                continue
            seeker = rng.choices(seekers, cum_weights=seeker_weights)[0]
            _add_booking(ctx, rows, plan, service, seeker[0], status, start_min * 60)
            break


def _past_status(draw: float) -> str:
    if draw < 0.82:
        return "completed"
    return "cancelled" if draw < 0.94 else "no_show"


def _upcoming_slot(ctx: _Context, plan: _PractitionerPlan, duration: int) -> tuple[int, int] | None:
    found = _slot(ctx, plan, duration, ctx.rng.randint(0, UPCOMING_DAYS))
    if found is None or found[1] in plan.schedule.days_off:
        return None
    start_min = found[0]
    now_min = ctx.now_s // 60
    if not now_min + plan.schedule.min_notice <= start_min <= now_min + UPCOMING_DAYS * 1440:
        return None
    return found


def _add_booking(
    ctx: _Context,
    rows: SeedRows,
    plan: _PractitionerPlan,
    service: _ServicePlan,
    seeker_id: uuid.UUID,
    status: str,
    start_s: int,
) -> None:
    rng = ctx.rng
    end_s = start_s + service.duration * 60
    notice_s = plan.schedule.min_notice * 60
    if status == "confirmed":  # upcoming: booked in the last few days
        created_s = ctx.now_s - rng.randint(600, 3 * DAY)
        lead_s = start_s - created_s
    else:
        lead_s = rng.randint(notice_s, max(notice_s, 21 * DAY))
        created_s = start_s - lead_s
    confirmed_s: int | None = created_s + rng.randint(60, min(7200, lead_s - 60))
    if status == "confirmed":
        confirmed_s = min(confirmed_s or created_s, ctx.now_s)
    completed_s = cancelled_s = None
    cancelled_by = reason = session_notes = None
    if status == "completed":
        completed_s = end_s + rng.randint(300, 7200)
        updated_s = completed_s
        if rng.random() < 0.4:
            session_notes = rng.choice(data.SESSION_NOTES)
    elif status == "cancelled":
        cancelled_s = created_s + rng.randint(60, lead_s - 60)
        confirmed_s = created_s + rng.randint(30, (cancelled_s - created_s) // 2)
        if rng.random() < 0.3:
            confirmed_s = None  # cancelled before the practitioner confirmed
        if rng.random() < 0.7:
            cancelled_by, reason = seeker_id, rng.choice(data.SEEKER_CANCELLATION_REASONS)
        else:
            cancelled_by = plan.user_id
            reason = rng.choice(data.PRACTITIONER_CANCELLATION_REASONS)
        updated_s = cancelled_s
    elif status == "no_show":
        updated_s = end_s + rng.randint(600, 7200)
    else:
        updated_s = confirmed_s or created_s
    total, commission = _money(service.price)
    booking_id = ctx.new_id()
    rows.bookings.append(
        (
            booking_id,
            seeker_id,
            plan.id,
            service.id,
            status,
            service.mode,
            _ts(start_s),
            _ts(end_s),
            service.duration,
            total,
            commission,
            "INR",
            rng.choice(data.BOOKING_NOTES) if rng.random() < 0.25 else None,
            session_notes,
            None,  # hold_expires_at: only pending bookings hold a slot
            None if confirmed_s is None else _ts(confirmed_s),
            None if completed_s is None else _ts(completed_s),
            None if cancelled_s is None else _ts(cancelled_s),
            cancelled_by,
            reason,
            _ts(created_s),
            _ts(updated_s),
        )
    )
    if status == "completed" and rng.random() < 0.6:
        _add_review(ctx, rows, plan, service, booking_id, seeker_id, end_s)


def _add_review(
    ctx: _Context,
    rows: SeedRows,
    plan: _PractitionerPlan,
    service: _ServicePlan,
    booking_id: uuid.UUID,
    seeker_id: uuid.UUID,
    end_s: int,
) -> None:
    rng = ctx.rng
    rating = rng.choices((1, 2, 3, 4, 5), data.RATING_WEIGHTS_BY_TIER[plan.quality_tier])[0]
    comment = rng.choice(data.REVIEW_COMMENTS[rating]).format(
        name=plan.first_name, label=_vocab(service.category).label
    )
    created_s = end_s + rng.randint(1800, min(7 * DAY, ctx.now_s - end_s - 60))
    rows.reviews.append(
        (ctx.new_id(), booking_id, seeker_id, plan.id, rating, comment, _ts(created_s))
    )
