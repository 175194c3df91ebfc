"""Read use cases of the practitioners context: the public directory and catalog.

Only verified, active practitioners are public: every query here starts from ``public()``.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Float,
    Numeric,
    Text,
    and_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import after_commit, as_dict
from klearkarma.core.errors import NotFound, ValidationFailed
from klearkarma.core.pagination import PageParams
from klearkarma.core.response_cache import invalidate
from klearkarma.identity.policy import Principal, owns_or_admin
from klearkarma.practitioners.models import (
    Modality,
    Practitioner,
    Service,
    ServiceMode,
    VerificationStatus,
)
from klearkarma.practitioners.schemas import PractitionerSort
from klearkarma.search import cache as search_cache

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LAT = 111.045


def public() -> ColumnElement[bool]:
    # Spelled exactly like the partial indexes' predicate (``... AND is_active``): the planner
    # cannot prove ``is_active IS TRUE`` implies it, and would ignore those indexes.
    return and_(
        Practitioner.verification_status == VerificationStatus.VERIFIED,
        Practitioner.is_active,
    )


@dataclass(frozen=True, slots=True)
class DirectoryFilters:
    specialization: str | None = None
    language: str | None = None
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None
    min_rating: float | None = None
    city: str | None = None
    online: bool | None = None
    in_person: bool | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    sort: PractitionerSort = PractitionerSort.RATING

    def check(self) -> None:
        errors: list[tuple[str, str]] = []
        if (self.lat is None) != (self.lng is None):
            errors.append(("lat" if self.lat is None else "lng", "lat and lng go together"))
        if self.radius_km is not None and self.lat is None:
            errors.append(("radiusKm", "radiusKm needs lat and lng"))
        if self.sort is PractitionerSort.DISTANCE and self.lat is None:
            errors.append(("sort", "sorting by distance needs lat and lng"))
        if (
            self.min_rate is not None
            and self.max_rate is not None
            and self.min_rate > self.max_rate
        ):
            errors.append(("minRate", "minRate must not exceed maxRate"))
        if errors:
            raise ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class Clause:
    """Part of the directory query: SQL over named parameters, with this request's values.

    The SQL depends only on ``key``, never on the values, so a statement assembled from clauses
    can be compiled once per combination of keys and run with each request's values (search
    does, see ``core.prepared``); an ordinary statement takes them with ``.params(**values_of(
    ...))``, as the directory listing does.
    """

    key: str
    sql: Callable[[], ColumnElement[Any]]
    values: Mapping[str, Any]


def _param(name: str, type_: Any) -> BindParameter[Any]:
    return bindparam(name, type_=type_)


def _haversine_km() -> ColumnElement[float]:
    """Great-circle distance from (geo_lat, geo_lng) to each practitioner, in SQL;
    ``geo_cos_lat`` is cos(geo_lat), computed once in Python."""
    lat, lng = _param("geo_lat", Float), _param("geo_lng", Float)
    dlat = func.radians(Practitioner.lat - lat) / 2
    dlng = func.radians(Practitioner.lng - lng) / 2
    a = func.power(func.sin(dlat), 2) + _param("geo_cos_lat", Float) * func.cos(
        func.radians(Practitioner.lat)
    ) * func.power(func.sin(dlng), 2)
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(func.least(a, 1.0)))


def _within_box() -> ColumnElement[bool]:
    return Practitioner.lat.between(_param("box_lat_low", Float), _param("box_lat_high", Float))


def _box_clause(lat: float, lng: float, radius_km: float) -> Clause:
    """A cheap index-friendly pre-filter; the exact radius is checked with haversine."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    values: dict[str, Any] = {"box_lat_low": lat - dlat, "box_lat_high": lat + dlat}
    cos_lat = math.cos(math.radians(lat))
    dlng = radius_km / (KM_PER_DEGREE_LAT * cos_lat) if cos_lat > 1e-6 else math.inf
    if dlng >= 180:  # at a pole, or a radius around the world: latitude alone bounds it
        return Clause("box_lat", _within_box, values)
    low, high = lng - dlng, lng + dlng
    if low < -180 or high > 180:  # the box wraps around the antimeridian
        values |= {
            "box_lng_low": low + 360 if low < -180 else low,
            "box_lng_high": high - 360 if high > 180 else high,
        }
        return Clause(
            "box_wrap",
            lambda: (
                _within_box()
                & (
                    (Practitioner.lng >= _param("box_lng_low", Float))
                    | (Practitioner.lng <= _param("box_lng_high", Float))
                )
            ),
            values,
        )
    values |= {"box_lng_low": low, "box_lng_high": high}
    return Clause(
        "box",
        lambda: (
            _within_box()
            & Practitioner.lng.between(_param("box_lng_low", Float), _param("box_lng_high", Float))
        ),
        values,
    )


def directory_clauses(filters: DirectoryFilters) -> tuple[list[Clause], Clause | None]:
    """The conditions ``filters`` put on public practitioners, and the distance (a clause whose
    SQL is the distance in km) when located. Search builds on them, so the directory and search
    can never disagree on who matches. A statement using them takes ``values_of(...)``."""
    clauses: list[Clause] = []
    if filters.specialization:
        clauses.append(
            Clause(
                "specialization",
                lambda: Practitioner.specializations.contains(
                    _param("specialization", ARRAY(Text))
                ),
                {"specialization": [filters.specialization.strip().lower()]},
            )
        )
    if filters.language:
        # Languages are stored as proper nouns ("Hindi"); @> keeps the GIN index usable.
        clauses.append(
            Clause(
                "language",
                lambda: Practitioner.languages.contains(_param("language", ARRAY(Text))),
                {"language": [filters.language.strip().title()]},
            )
        )
    if filters.min_rate is not None:
        clauses.append(
            Clause(
                "min_rate",
                lambda: Practitioner.hourly_rate >= _param("min_rate", Numeric(12, 2)),
                {"min_rate": filters.min_rate},
            )
        )
    if filters.max_rate is not None:
        clauses.append(
            Clause(
                "max_rate",
                lambda: Practitioner.hourly_rate <= _param("max_rate", Numeric(12, 2)),
                {"max_rate": filters.max_rate},
            )
        )
    if filters.min_rating is not None:
        clauses.append(
            Clause(
                "min_rating",
                lambda: Practitioner.rating >= _param("min_rating", Numeric(3, 2)),
                {"min_rating": Decimal(str(filters.min_rating))},
            )
        )
    if filters.city:
        clauses.append(
            Clause(
                "city",
                lambda: func.lower(Practitioner.city) == _param("city", Text),
                {"city": filters.city.strip().lower()},
            )
        )
    for key, column, wanted in (
        ("online", Practitioner.offers_online, filters.online),
        ("in_person", Practitioner.offers_in_person, filters.in_person),
    ):
        if wanted is not None:
            # IS TRUE / IS FALSE (not a parameter): the partial indexes and the planner see it.
            clauses.append(Clause(f"{key}:{wanted}", functools.partial(column.is_, wanted), {}))
    if filters.lat is None or filters.lng is None:
        return clauses, None
    geo = {
        "geo_lat": filters.lat,
        "geo_lng": filters.lng,
        "geo_cos_lat": math.cos(math.radians(filters.lat)),
    }
    distance = Clause("distance", _haversine_km, geo)
    if filters.radius_km is not None:
        clauses.append(_box_clause(filters.lat, filters.lng, filters.radius_km))
        clauses.append(
            Clause(
                "radius",
                lambda: _haversine_km() <= _param("radius_km", Float),
                geo | {"radius_km": filters.radius_km},
            )
        )
    return clauses, distance


def values_of(clauses: list[Clause], distance: Clause | None) -> dict[str, Any]:
    """The parameter values of ``clauses`` and ``distance`` together."""
    values: dict[str, Any] = {}
    for clause in (*clauses, *([distance] if distance is not None else [])):
        values |= clause.values
    return values


def _ordering(sort: PractitionerSort, distance: ColumnElement[float] | None) -> list[Any]:
    if sort is PractitionerSort.DISTANCE and distance is not None:
        keys: list[Any] = [distance.asc()]
    elif sort is PractitionerSort.PRICE:
        keys = [Practitioner.hourly_rate.asc()]
    elif sort is PractitionerSort.EXPERIENCE:
        keys = [Practitioner.experience_years.desc()]
    else:
        keys = [Practitioner.rating.desc(), Practitioner.review_count.desc()]
    return [*keys, Practitioner.id]  # the id makes pages stable under ties


async def list_public_practitioners(
    session: AsyncSession, filters: DirectoryFilters, page: PageParams
) -> tuple[list[tuple[Practitioner, float | None]], int]:
    filters.check()
    clauses, located = directory_clauses(filters)
    values = values_of(clauses, located)
    query = select(Practitioner).where(public(), *(clause.sql() for clause in clauses))
    total = await session.scalar(
        select(func.count()).select_from(query.subquery()).params(**values)
    )
    distance = located.sql() if located is not None else None
    columns = query.add_columns(distance.label("distance_km")) if distance is not None else query
    rows = await session.execute(
        columns.order_by(*_ordering(filters.sort, distance))
        .offset(page.offset)
        .limit(page.limit)
        .params(**values)
    )
    if distance is None:
        return [(row[0], None) for row in rows], int(total or 0)
    return [(row[0], float(row[1])) for row in rows], int(total or 0)


async def get_practitioner_for(
    session: AsyncSession, practitioner_id: uuid.UUID, viewer: Principal | None
) -> tuple[Practitioner, list[Service]]:
    """A public profile, or a hidden one its owner or an admin is looking at; 404 otherwise."""
    practitioner = await session.get(Practitioner, practitioner_id)
    visible = practitioner is not None and (
        (practitioner.verification_status is VerificationStatus.VERIFIED and practitioner.is_active)
        or (viewer is not None and owns_or_admin(viewer, practitioner.user_id))
    )
    if practitioner is None or not visible:
        raise NotFound("Practitioner not found.")
    services = await session.scalars(
        select(Service)
        .where(Service.practitioner_id == practitioner_id, Service.is_active.is_(True))
        .order_by(Service.price, Service.id)
    )
    return practitioner, list(services)


async def list_catalog_services(
    session: AsyncSession,
    *,
    category: str | None,
    mode: ServiceMode | None,
    page: PageParams,
) -> tuple[list[tuple[Service, str, str | None]], int]:
    query = (
        select(Service, Practitioner.display_name, Practitioner.city)
        .join(Practitioner, Practitioner.id == Service.practitioner_id)
        .where(public(), Service.is_active.is_(True))
    )
    if category:
        query = query.where(Service.category == category.lower())
    if mode is not None:
        query = query.where(Service.mode == mode)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(Practitioner.rating.desc(), Service.id).offset(page.offset).limit(page.limit)
    )
    return [(row[0], row[1], row[2]) for row in rows], int(total or 0)


async def list_modalities(session: AsyncSession) -> list[tuple[Modality, int]]:
    counts_query = (
        select(func.unnest(Practitioner.specializations).label("slug"), func.count().label("n"))
        .where(public())
        .group_by("slug")
        .subquery()
    )
    rows = await session.execute(
        select(Modality, func.coalesce(counts_query.c.n, 0))
        .outerjoin(counts_query, counts_query.c.slug == Modality.slug)
        .order_by(Modality.sort_order)
    )
    return [(row[0], int(row[1])) for row in rows]


async def require_public(session: AsyncSession, practitioner_id: uuid.UUID) -> Practitioner:
    """A verified, active practitioner (anyone else is invisible to the public: 404)."""
    practitioner = await session.scalar(
        select(Practitioner).where(Practitioner.id == practitioner_id, public())
    )
    if practitioner is None:
        raise NotFound("Practitioner not found.")
    return practitioner


async def export_for_user(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any] | None:
    """The practitioner profile and services of a user, for their data export."""
    practitioner = await session.scalar(select(Practitioner).where(Practitioner.user_id == user_id))
    if practitioner is None:
        return None
    services = await session.scalars(
        select(Service).where(Service.practitioner_id == practitioner.id).order_by(Service.id)
    )
    return {"profile": as_dict(practitioner), "services": [as_dict(s) for s in services]}


async def set_active_for_user(session: AsyncSession, user_id: uuid.UUID, active: bool) -> None:
    """Hide (suspension) or show again a user's practitioner profile."""
    await session.execute(
        update(Practitioner).where(Practitioner.user_id == user_id).values(is_active=active)
    )


async def erase_for_user(session: AsyncSession, cache: CacheBackend, user_id: uuid.UUID) -> None:
    """Anonymise a practitioner profile; the row stays because bookings and money refer to it.

    The profile disappears from search and the directory, and so do cached answers naming it.
    """
    practitioner_id = await session.scalar(
        select(Practitioner.id).where(Practitioner.user_id == user_id)
    )
    if practitioner_id is None:
        return
    search_cache.changed(session, cache)
    bump_availability(session, cache, practitioner_id)
    await session.execute(
        update(Practitioner)
        .where(Practitioner.id == practitioner_id)
        .values(
            display_name="Former practitioner",
            headline="",
            bio="",
            certifications=[],
            languages=[],
            lat=None,
            lng=None,
            city=None,
            country=None,
            is_active=False,
        )
    )
    await session.execute(
        update(Service)
        .where(Service.practitioner_id == practitioner_id)
        .values(description="", is_active=False)
    )


async def forget_cached_answers(
    session: AsyncSession, cache: CacheBackend, user_id: uuid.UUID
) -> None:
    """Drop cached answers about a user's practitioner profile (its visibility changed)."""
    practitioner_id = await session.scalar(
        select(Practitioner.id).where(Practitioner.user_id == user_id)
    )
    if practitioner_id is not None:
        bump_availability(session, cache, practitioner_id)


def bump_availability(
    session: AsyncSession, cache: CacheBackend, practitioner_id: uuid.UUID
) -> None:
    """Invalidate every cached answer about a practitioner's slots (rules, blocks, bookings or
    visibility changed) once the change commits."""

    async def forget() -> None:
        await cache.incr(f"avail-version:{practitioner_id}", ttl=90 * 24 * 3600)
        await invalidate(cache, practitioner_tag(practitioner_id))

    after_commit(session, forget)


def practitioner_tag(practitioner_id: uuid.UUID) -> str:
    """The response-cache tag of everything public about one practitioner."""
    return f"practitioner:{practitioner_id}"


async def record_completed_session(
    session: AsyncSession, cache: CacheBackend, practitioner_id: uuid.UUID
) -> None:
    """Count a completed session on the public profile (search ranks by it: cached search
    answers are dropped when this commits)."""
    await session.execute(
        update(Practitioner)
        .where(Practitioner.id == practitioner_id)
        .values(total_sessions=Practitioner.total_sessions + 1)
    )
    search_cache.changed(session, cache, suggestions=False)


async def record_rating(
    session: AsyncSession,
    cache: CacheBackend,
    practitioner_id: uuid.UUID,
    *,
    rating: Decimal,
    review_count: int,
) -> None:
    """Set the public rating, as the reviews context has averaged it (search ranks and filters
    by it: cached search answers are dropped when this commits)."""
    await session.execute(
        update(Practitioner)
        .where(Practitioner.id == practitioner_id)
        .values(rating=rating, review_count=review_count)
    )
    search_cache.changed(session, cache, suggestions=False)


async def practitioner_id_of_user(session: AsyncSession, user_id: uuid.UUID) -> uuid.UUID | None:
    """The practitioner profile a user owns, if any (payments and earnings ask this)."""
    return await session.scalar(select(Practitioner.id).where(Practitioner.user_id == user_id))


async def service_of(
    session: AsyncSession, practitioner_id: uuid.UUID, service_id: uuid.UUID
) -> Service | None:
    """One of the practitioner's own active services."""
    return await session.scalar(
        select(Service).where(
            Service.id == service_id,
            Service.practitioner_id == practitioner_id,
            Service.is_active.is_(True),
        )
    )
