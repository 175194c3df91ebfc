"""Service search: active services of public practitioners, matched on the service's own words.

Services carry a generated ``search_vector`` (name and category A, description C), so this needs
no trigger; the practitioner's visibility comes from the practitioners context's condition.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal, over, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.pagination import PageParams
from klearkarma.practitioners.models import Practitioner, Service, ServiceMode
from klearkarma.practitioners.service import public
from klearkarma.search import query as tsq
from klearkarma.search import ranking
from klearkarma.search.schemas import MatchMode, QueryInfo
from klearkarma.search.service import HEADLINE_OPTIONS, _escaped, query_info
from klearkarma.search.spelling import Speller


@dataclass(frozen=True, slots=True)
class ServiceHit:
    service: Service
    practitioner_name: str
    city: str | None
    practitioner_rating: float
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class CatalogFilters:
    category: str | None = None
    mode: ServiceMode | None = None
    city: str | None = None


def _attempt(terms: tsq.Terms, mode: MatchMode) -> tuple[ColumnElement[bool] | None, Any]:
    if mode == "browse":
        return None, None
    query = tsq.all_of(terms) if mode == "all" else tsq.any_of(terms)
    return tsq.matches(Service.search_vector, query), query


def _conditions(
    condition: ColumnElement[bool] | None, filters: CatalogFilters
) -> list[ColumnElement[bool]]:
    conditions = [public(), Service.is_active.is_(True)]
    if condition is not None:
        conditions.append(condition)
    if filters.category:
        conditions.append(Service.category == filters.category.strip().lower())
    if filters.mode is not None:
        conditions.append(Service.mode == filters.mode)
    if filters.city:
        conditions.append(func.lower(Practitioner.city) == filters.city.strip().lower())
    return conditions


async def _count(
    session: AsyncSession, condition: ColumnElement[bool] | None, filters: CatalogFilters
) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Service)
        .join(Practitioner, Practitioner.id == Service.practitioner_id)
        .where(*_conditions(condition, filters))
    )
    return int(total or 0)


async def _page(
    session: AsyncSession,
    condition: ColumnElement[bool] | None,
    query: ColumnElement[Any] | None,
    filters: CatalogFilters,
    page: PageParams,
) -> list[tuple[Service, str, str | None, float, float, str, int]]:
    if query is not None:
        text = ranking.text_relevance(1.0, tsq.rank(Service.search_vector, query))
        score = ranking.blended(text, ranking.quality())
        snippet = func.ts_headline(
            tsq.CONFIG, _escaped(Service.description), query, HEADLINE_OPTIONS
        )
    else:
        score, snippet = ranking.quality(), literal("")  # type: ignore[assignment]
    statement = (
        select(
            Service,
            Practitioner.display_name,
            Practitioner.city,
            cast(Practitioner.rating, Float),
            score.label("score"),
            snippet,
            over(func.count()),
        )
        .join(Practitioner, Practitioner.id == Service.practitioner_id)
        .where(*_conditions(condition, filters))
    )
    rows = await session.execute(
        statement.order_by(score.desc(), Service.id).offset(page.offset).limit(page.limit)
    )
    return [tuple(row) for row in rows]


async def search_services(
    session: AsyncSession,
    speller: Speller,
    raw_query: str | None,
    filters: CatalogFilters,
    page: PageParams,
) -> tuple[list[ServiceHit], int, QueryInfo]:
    typed = tsq.parse(raw_query)
    terms, corrections = await speller.analyse(typed)
    modes: list[MatchMode] = ["all", "any"] if len(terms.words) > 1 else ["all"]
    if not terms.words:
        modes = ["browse"]
    rows: list[tuple[Service, str, str | None, float, float, str, int]] = []
    total = 0
    mode: MatchMode = modes[0]
    for mode in modes:
        condition, query = _attempt(terms, mode)
        rows = await _page(session, condition, query, filters, page)
        # Past the last page there are no rows to carry the total: count to decide.
        total = rows[0][6] if rows else await _count(session, condition, filters)
        if total:
            break
    hits = [
        ServiceHit(
            service,
            name,
            city,
            float(rating),
            round(float(score), 6),
            snippet or html.escape(service.description),
        )
        for service, name, city, rating, score, snippet, _ in rows
    ]
    return hits, total, query_info(typed, terms, corrections, mode)
