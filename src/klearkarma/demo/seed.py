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

import gc
import json
import math
import random
import re
import uuid
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import accumulate
from typing import Any, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

import asyncpg

from klearkarma.demo import data
from klearkarma.demo.data import City, ModalityVocab
from klearkarma.search import bulk as search_bulk

Row = tuple[object, ...]
T = TypeVar("T")

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
        return [cast(uuid.UUID, row[0]) for row in self.practitioners]

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
        await search_bulk.pause(conn)
        for table, columns, records in rows.tables():
            if records:
                await conn.copy_records_to_table(table, records=records, columns=columns)
        if rows.reviews:
            await conn.execute(_REFRESH_RATINGS, rows.practitioner_ids)
        if rows.bookings:
            await conn.execute(_REFRESH_SESSIONS, rows.practitioner_ids)
        await search_bulk.catch_up(conn, rows.practitioner_ids)
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
    if min(practitioners, seekers, bookings) < 0:
        raise ValueError("counts cannot be negative")
    if not 0.0 <= verified_share <= 1.0:
        raise ValueError("verified_share must be between 0 and 1")
    if practitioners and not modalities:
        raise ValueError("the modalities table is empty; run the migrations first")
    ctx = _Context(
        # The token is part of the seed so that a repeat run (new token) draws new ids too.
        rng=_Random(f"{seed}:{token}"),
        now=now.astimezone(UTC),
        token=token,
        password_hash=password_hash,
        modalities=tuple(modalities),
    )
    rows = SeedRows()
    # Millions of long-lived objects and no reference cycles: the cyclic collector would only
    # rescan the growing heap again and again (a third of generation time at 100k practitioners).
    # Nothing else runs meanwhile — this function never awaits — so pausing it is safe.
    collecting = gc.isenabled()
    gc.disable()
    try:
        plans = [_add_practitioner(ctx, rows, verified_share) for _ in range(practitioners)]
        seeker_ids = [_add_seeker(ctx, rows) for _ in range(seekers)]
        active_seekers = [seeker for seeker in seeker_ids if seeker is not None]
        _add_bookings(ctx, rows, plans, active_seekers, bookings)
    finally:
        if collecting:
            gc.enable()
    return rows


# --------------------------------------------------------------------------------------------
# Shared state and small helpers
# --------------------------------------------------------------------------------------------


class _Distribution(Generic[T]):
    """Values with relative weights, prepared once so that each draw is a single bisect."""

    __slots__ = ("cumulative", "values")

    def __init__(self, values: Sequence[T], weights: Iterable[float]) -> None:
        self.values = values
        self.cumulative = list(accumulate(weights))
        if len(self.cumulative) != len(values) or not values:
            raise ValueError("need one weight per value, and at least one value")

    @classmethod
    def of(cls, weighted: dict[T, float]) -> _Distribution[T]:
        return cls(list(weighted), weighted.values())


class _Random(random.Random):
    """``random.Random`` plus the few draws the generator makes hundreds of thousands of times.

    The stock ``choice``/``randint``/``choices`` go through ``_randbelow`` or build lists per
    call; these use one ``random()`` each. At a few million draws per run that adds up.
    """

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        """An integer in ``low..high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def draw(self, distribution: _Distribution[T]) -> T:
        cumulative = distribution.cumulative
        index = bisect(cumulative, self.random() * cumulative[-1], 0, len(cumulative) - 1)
        return distribution.values[index]


_CITIES = _Distribution(data.CITIES, (city.weight for city in data.CITIES))
_GENDERS = _Distribution(data.GENDERS, data.GENDER_WEIGHTS)
_SPECIALIZATION_COUNT = _Distribution.of({1: 0.35, 2: 0.4, 3: 0.25})
_CERTIFICATION_COUNT = _Distribution.of({0: 0.1, 1: 0.4, 2: 0.35, 3: 0.15})
_SERVICE_COUNT = _Distribution.of({2: 0.35, 3: 0.4, 4: 0.25})
_WORKING_DAYS = _Distribution.of({4: 0.2, 5: 0.5, 6: 0.3})
_QUALITY_TIERS = _Distribution((0, 1, 2), data.QUALITY_TIER_WEIGHTS)
_RATINGS_BY_TIER = tuple(
    _Distribution((1, 2, 3, 4, 5), weights) for weights in data.RATING_WEIGHTS_BY_TIER
)


@dataclass
class _Context:
    """Everything one run shares: the random stream, the clock, the run token, counters."""

    rng: _Random
    now: datetime
    token: str
    password_hash: str
    modalities: tuple[str, ...]
    user_seq: int = 0

    def __post_init__(self) -> None:
        self.now_s = int(self.now.timestamp())
        self.modality_weights = _Distribution(
            self.modalities, (data.MODALITY_WEIGHTS.get(slug, 1.0) for slug in self.modalities)
        )

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def city(self) -> City:
        return self.rng.draw(_CITIES)

    def ago(self, low_s: int, high_s: int) -> int:
        """A Unix time between ``high_s`` and ``low_s`` seconds before now."""
        return self.now_s - self.rng.between(low_s, high_s)


@dataclass(slots=True)
class _ServicePlan:
    id: uuid.UUID
    category: str
    duration: int
    price: int
    mode: str


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


def _maybe_ts(unix_seconds: int | None) -> datetime | None:
    return None if unix_seconds is None else _ts(unix_seconds)


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


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------


def _person(ctx: _Context, city: City, *, min_age: int, dob_share: float) -> _Person:
    rng = ctx.rng
    gender: str | None = rng.draw(_GENDERS)
    indian = city.country == data.INDIA or rng.chance(data.INDIAN_NAME_SHARE_ABROAD)
    feminine = gender == "female" or (gender == "non_binary" and rng.chance(0.5))
    if indian:
        firsts = data.INDIAN_FEMALE_FIRST_NAMES if feminine else data.INDIAN_MALE_FIRST_NAMES
        last = rng.pick(data.INDIAN_LAST_NAMES)
    else:
        firsts = (
            data.INTERNATIONAL_FEMALE_FIRST_NAMES
            if feminine
            else data.INTERNATIONAL_MALE_FIRST_NAMES
        )
        last = rng.pick(data.INTERNATIONAL_LAST_NAMES)
    first = rng.pick(firsts)
    if rng.chance(0.15):
        gender = None  # prefers not to say
    ctx.user_seq += 1
    email = (
        f"{_email_part(first)}.{_email_part(last)}.{ctx.token}.{ctx.user_seq}"
        f"@{rng.pick(data.EMAIL_DOMAINS)}"
    )
    country = data.COUNTRIES[city.country]
    phone = None
    if rng.chance(0.85):
        prefix = rng.pick(country.mobile_prefixes)
        rest = country.national_digits - len(prefix)
        phone = f"+{country.dial_code}{prefix}{rng.below(10**rest):0{rest}d}"
    birth = None
    if rng.chance(dob_share):
        birth = ctx.now.date() - timedelta(days=rng.between(min_age * 365, 68 * 365))
    return _Person(first, last, gender, email, phone, birth)


def _user_row(
    ctx: _Context, person: _Person, city: City, user_type: str, created_s: int, status: str
) -> tuple[uuid.UUID, Row]:
    rng = ctx.rng
    user_id = ctx.new_id()
    last_login_s = ctx.ago(0, max(0, ctx.now_s - created_s)) if rng.chance(0.9) else None
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
        rng.chance(0.92),
        person.phone is not None and rng.chance(0.7),
        city.timezone,
        data.COUNTRIES[city.country].locale,
        None,  # avatar_key: no stored image exists for generated users
        _maybe_ts(last_login_s),
        None,
        _ts(created_s),
        _ts(created_s),
    )
    return user_id, row


def _add_seeker(ctx: _Context, rows: SeedRows) -> uuid.UUID | None:
    """A seeker user; returns its id if the account is active (only those book)."""
    city = ctx.city()
    person = _person(ctx, city, min_age=18, dob_share=0.6)
    # Old enough an account to have booked anywhere in the past window.
    created_s = ctx.ago((PAST_DAYS + 30) * DAY, 900 * DAY)
    r = ctx.rng.random()
    status = "active" if r < 0.96 else ("inactive" if r < 0.99 else "suspended")
    user_id, row = _user_row(ctx, person, city, "seeker", created_s, status)
    rows.users.append(row)
    return user_id if status == "active" else None


# --------------------------------------------------------------------------------------------
# Practitioners
# --------------------------------------------------------------------------------------------


def _specializations(ctx: _Context) -> list[str]:
    rng = ctx.rng
    primary = rng.draw(ctx.modality_weights)
    wanted = rng.draw(_SPECIALIZATION_COUNT)
    specs = [primary]
    related = [slug for slug in data.AFFINITIES.get(primary, ()) if slug in ctx.modalities]
    while len(specs) < wanted and len(specs) < len(ctx.modalities):
        pool = related if related and rng.chance(0.8) else ctx.modalities
        slug = rng.pick(pool)
        if slug not in specs:
            specs.append(slug)
        elif pool is related and all(s in specs for s in related):
            related = []
    return specs


def _languages(ctx: _Context, city: City, specs: Sequence[str]) -> list[str]:
    rng = ctx.rng
    chosen: list[str] = []
    if rng.chance(0.9) or not city.languages:
        chosen.append("English")
    if city.country == data.INDIA and rng.chance(0.6):
        chosen.append("Hindi")
    if city.languages and rng.chance(0.55):
        chosen.append(rng.pick(city.languages))
    if rng.chance(0.2) and {"yoga", "ayurveda", "meditation"} & set(specs):
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
    count = min(len(options), rng.draw(_CERTIFICATION_COUNT))
    first_year = ctx.now.year - years
    picked = [
        {"name": name, "issuer": issuer, "year": rng.between(first_year, ctx.now.year)}
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
        "a_noun": _with_article(vocab.practitioner_noun),
        "A_noun": _capitalise(_with_article(vocab.practitioner_noun)),
        "label": vocab.label,
        "specs": _join_words([_vocab(slug).label for slug in specs]),
        "benefit": rng.pick(vocab.benefits),
        "issuer": certifications[0]["issuer"] if certifications else "",
    }
    headline = rng.pick(data.HEADLINE_TEMPLATES).format(**words)
    sentences = [
        rng.pick(data.BIO_OPENINGS),
        rng.pick(data.BIO_SPECIALIZATION_SENTENCES),
    ]
    if certifications and rng.chance(0.5):
        sentences.append(rng.pick(data.BIO_TRAINING_SENTENCES))
    if rng.chance(0.6):
        sentences.append(data.BIO_MODE_SENTENCES[modes])
    elif rng.chance(0.5):
        sentences.append(rng.pick(data.BIO_CLOSINGS))
    bio = " ".join(sentence.format(**words) for sentence in sentences)
    return _capitalise(headline), bio


def _add_practitioner(ctx: _Context, rows: SeedRows, verified_share: float) -> _PractitionerPlan:
    rng = ctx.rng
    city = ctx.city()
    person = _person(ctx, city, min_age=24, dob_share=0.8)
    specs = _specializations(ctx)
    years = int(rng.triangular(2, 35, 7))
    hands_on = any(_vocab(slug).hands_on for slug in specs)
    in_person = hands_on or rng.chance(0.6)
    online = not in_person or rng.chance(0.75)
    certifications = _certifications(ctx, specs, years)
    headline, bio = _profile_text(
        ctx, person.first_name, city, years, specs, certifications, (online, in_person)
    )

    if rng.chance(verified_share):
        status = "verified"
    else:
        status = "pending" if rng.chance(0.7) else "rejected"
    if status == "verified":
        # Verified well before the booking window opens, so every booking postdates it.
        created_s = ctx.ago((PAST_DAYS + 60) * DAY, 1500 * DAY)
        verified_at = _ts(created_s + rng.between(DAY, 14 * DAY))
        active = rng.chance(0.97)
    else:
        created_s = ctx.ago(3600, 120 * DAY)
        verified_at = None
        active = status == "pending"

    user_id, user_row = _user_row(
        ctx, person, city, "practitioner", created_s, "active" if active else "inactive"
    )
    rows.users.append(user_row)
    practitioner_id = ctx.new_id()
    doctor = any(_vocab(slug).doctor for slug in specs) and rng.chance(0.55)
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
        quality_tier=rng.draw(_QUALITY_TIERS),
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
    count = rng.draw(_SERVICE_COUNT)
    categories = list(specs[:count]) + [rng.pick(specs) for _ in range(count - len(specs))]
    used: set[str] = set()
    for index, category in enumerate(categories):
        vocab = _vocab(category)
        choices = [s for s in vocab.services if s[0] not in used]
        choices = choices or [s for s in data.GENERIC_MODALITY.services if s[0] not in used]
        name, description = rng.pick(choices)
        used.add(name)
        duration = rng.pick(vocab.durations)
        if vocab.hands_on or not online:
            mode = "in_person"
        elif not in_person:
            mode = "online"
        else:
            mode = "online" if rng.chance(0.5) else "in_person"
        price = max(50, (hourly_rate * duration + 1500) // 3000 * 50)
        active = index == 0 or rng.chance(0.93)
        created_s = practitioner_created_s + rng.between(
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
        if active:  # bookings are only made for services still on offer
            plan.services.append(_ServicePlan(service_id, category, duration, price, mode))


# --------------------------------------------------------------------------------------------
# Availability
# --------------------------------------------------------------------------------------------


def _weekly_hours(ctx: _Context) -> list[tuple[int, int]]:
    """(weekday, index into DAY_SHAPES) for 4-6 working days: one usual shape, sometimes varied."""
    rng = ctx.rng
    usual = rng.below(len(data.DAY_SHAPES))
    days = sorted(rng.sample(range(7), rng.draw(_WORKING_DAYS)))
    return [(day, usual if rng.chance(0.75) else rng.below(len(data.DAY_SHAPES))) for day in days]


@cache
def _shape_minutes(shape: int) -> tuple[tuple[int, int], ...]:
    return tuple(
        (_hhmm_minutes(start), _hhmm_minutes(end)) for start, end in data.DAY_SHAPES[shape]
    )


@cache
def _shape_json(day: int, shape: int) -> str:
    """The weekly_hours JSON entries of one working day, without the enclosing brackets."""
    entries = [
        {"day": data.WEEKDAYS[day], "start": start, "end": end}
        for start, end in data.DAY_SHAPES[shape]
    ]
    return json.dumps(entries)[1:-1]


def _add_availability(
    ctx: _Context, rows: SeedRows, practitioner_id: uuid.UUID, timezone: str, created_s: int
) -> _Schedule:
    rng = ctx.rng
    weekly = _weekly_hours(ctx)
    hours: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
    for day, shape in weekly:
        hours[day] = _shape_minutes(shape)
    today = date.fromordinal(_today(timezone, ctx.now_s))
    days_off: list[date] = []
    if rng.chance(0.35):
        days_off = sorted(
            {today + timedelta(days=rng.between(2, 30)) for _ in range(rng.between(1, 2))}
        )
    slot_interval = rng.pick((15, 30, 30, 60))
    schedule = _Schedule(
        timezone=timezone,
        hours=tuple(hours),
        days_off=frozenset(day.toordinal() for day in days_off),
        step=max(30, slot_interval),  # starts on the hour or half hour
        buffer_before=rng.pick((0, 0, 5, 10, 15)),
        buffer_after=rng.pick((0, 5, 10, 15, 15)),
        min_notice=rng.pick((120, 180, 240, 360, 720, 1440)),
        daily_limit=rng.between(3, 8) if rng.chance(0.3) else None,
    )
    weekly_json = f"[{', '.join(_shape_json(day, shape) for day, shape in weekly)}]"
    overrides_json = [{"date": day.isoformat(), "intervals": []} for day in days_off]
    rows.availability.append(
        (
            practitioner_id,
            timezone,
            weekly_json,
            json.dumps(overrides_json),
            schedule.buffer_before,
            schedule.buffer_after,
            schedule.min_notice,
            rng.pick((30, 45, 60, 90)),
            slot_interval,
            schedule.daily_limit,
            _ts(created_s + rng.between(0, min(30 * DAY, ctx.now_s - created_s))),
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
    start, end = rng.pick(intervals)
    starts = (end - duration - start) // plan.schedule.step + 1
    if starts <= 0:
        return None
    local_start = start + plan.schedule.step * rng.below(starts)
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
    seekers: Sequence[uuid.UUID],
    count: int,
) -> None:
    """Past bookings (completed/cancelled/no-show) and a few upcoming confirmed ones.

    Popular practitioners and regular seekers get more bookings (Pareto weights, capped so
    nobody's calendar is impossibly full); a slot that collides with one already taken is
    skipped and another drawn. A booking that finds no free slot in ``MAX_SLOT_ATTEMPTS`` draws
    is dropped, which only happens when far more bookings are asked for than calendars hold.
    """
    rng = ctx.rng
    bookable = [plan for plan in plans if plan.bookable]
    if not bookable or not seekers or count <= 0:
        return
    practitioner_weights = _Distribution(
        bookable, [min(30.0, rng.paretovariate(1.3)) for _ in bookable]
    )
    seeker_weights = _Distribution(seekers, [min(30.0, rng.paretovariate(1.6)) for _ in seekers])
    calendar = _Calendar()
    upcoming = round(count * UPCOMING_SHARE)
    for index in range(count):
        future = index >= count - upcoming
        status = "confirmed" if future else _past_status(rng.random())
        for _ in range(MAX_SLOT_ATTEMPTS):
            plan = rng.draw(practitioner_weights)
            service = rng.pick(plan.services)
            if future:
                found = _upcoming_slot(ctx, plan, service.duration)
            else:
                found = _slot(ctx, plan, service.duration, -rng.between(1, PAST_DAYS))
                if found and found[0] + service.duration > ctx.now_s // 60 - 180:
                    found = None  # must have ended at least three hours ago
            if found is None:
                continue
            start_min, day = found
            if status != "cancelled" and not calendar.try_reserve(
                plan, start_min, service.duration, day
            ):
                continue
            seeker = rng.draw(seeker_weights)
            _add_booking(ctx, rows, plan, service, seeker, status, start_min * 60)
            break


def _past_status(draw: float) -> str:
    if draw < 0.82:
        return "completed"
    return "cancelled" if draw < 0.94 else "no_show"


def _upcoming_slot(ctx: _Context, plan: _PractitionerPlan, duration: int) -> tuple[int, int] | None:
    found = _slot(ctx, plan, duration, ctx.rng.between(0, UPCOMING_DAYS))
    if found is None or found[1] in plan.schedule.days_off:
        return None
    start_min = found[0]
    now_min = ctx.now_s // 60
    if not now_min + plan.schedule.min_notice <= start_min <= now_min + UPCOMING_DAYS * 1440:
        return None
    return found


@dataclass(slots=True)
class _Timeline:
    """A booking's life as Unix seconds: booked, maybe confirmed, then finished one way."""

    created: int
    updated: int
    confirmed: int | None = None
    completed: int | None = None
    cancelled: int | None = None


def _timeline(ctx: _Context, status: str, start_s: int, end_s: int, notice_s: int) -> _Timeline:
    """Event times consistent with the status: each after the last, none after now."""
    rng = ctx.rng
    if status == "confirmed":  # upcoming, booked in the last few days
        created = ctx.now_s - rng.between(600, 3 * DAY)
        confirmed = created + rng.between(60, min(7200, ctx.now_s - created))
        return _Timeline(created=created, updated=confirmed, confirmed=confirmed)
    lead = rng.between(notice_s, max(notice_s, 21 * DAY))  # booked at least min_notice ahead
    created = start_s - lead
    if status == "cancelled":
        cancelled = created + rng.between(60, lead - 60)
        confirmed = created + rng.between(30, (cancelled - created) // 2)
        return _Timeline(
            created=created,
            updated=cancelled,
            confirmed=confirmed if rng.chance(0.7) else None,  # else cancelled while pending
            cancelled=cancelled,
        )
    confirmed = created + rng.between(60, min(7200, lead - 60))
    if status == "completed":
        completed = end_s + rng.between(300, 7200)
        return _Timeline(created, updated=completed, confirmed=confirmed, completed=completed)
    return _Timeline(created, updated=end_s + rng.between(600, 7200), confirmed=confirmed)


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
    times = _timeline(ctx, status, start_s, end_s, plan.schedule.min_notice * 60)
    cancelled_by = reason = None
    if status == "cancelled":
        if rng.chance(0.7):
            cancelled_by, reason = seeker_id, rng.pick(data.SEEKER_CANCELLATION_REASONS)
        else:
            cancelled_by = plan.user_id
            reason = rng.pick(data.PRACTITIONER_CANCELLATION_REASONS)
    session_notes = None
    if status == "completed" and rng.chance(0.4):
        session_notes = rng.pick(data.SESSION_NOTES)
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
            rng.pick(data.BOOKING_NOTES) if rng.chance(0.25) else None,
            session_notes,
            None,  # hold_expires_at: only pending bookings hold a slot
            _maybe_ts(times.confirmed),
            _maybe_ts(times.completed),
            _maybe_ts(times.cancelled),
            cancelled_by,
            reason,
            _ts(times.created),
            _ts(times.updated),
        )
    )
    if status == "completed" and rng.chance(0.6):
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
    rating = rng.draw(_RATINGS_BY_TIER[plan.quality_tier])
    comment = rng.pick(data.REVIEW_COMMENTS[rating]).format(
        name=plan.first_name, label=_vocab(service.category).label
    )
    created_s = end_s + rng.between(1800, min(7 * DAY, ctx.now_s - end_s - 60))
    rows.reviews.append(
        (ctx.new_id(), booking_id, seeker_id, plan.id, rating, comment, _ts(created_s))
    )
