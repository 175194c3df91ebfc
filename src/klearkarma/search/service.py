"""Practitioner search: the public directory's filters plus full-text relevance, facets, snippets.

Search is a read model over the practitioners context: it starts from that context's directory
query (``practitioners.service``'s visibility condition and filters, so search can never show a
practitioner the directory hides, and a filter means exactly the same thing in both places) and
adds the text match, ranking and facets on top.

One statement computes the set of matches once (a CTE) and returns the total, the ids of the asked
page and every facet; a second loads the page's rows with their highlighted snippets.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    Boolean,
    ColumnElement,
    Select,
    SQLColumnExpression,
    case,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.errors import ValidationFailed
from klearkarma.core.pagination import PageParams
from klearkarma.practitioners.models import Practitioner
from klearkarma.practitioners.service import DirectoryFilters, directory_query
from klearkarma.search import query as tsq
from klearkarma.search import ranking
from klearkarma.search.facets import facet_columns, read_facets
from klearkarma.search.schemas import Correction, Facets, MatchMode, QueryInfo, SearchSort
from klearkarma.search.spelling import analyse

MAX_SLOT_WINDOW_DAYS = 62
DEFAULT_SLOT_WINDOW_DAYS = 14
HEADLINE_OPTIONS = (
    'StartSel="<mark>", StopSel="</mark>", MaxWords=30, MinWords=12, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True, slots=True)
class SlotWindow:
    """Local dates between which a practitioner must have bookable hours."""

    first: date
    last: date


def slot_window(first: date | None, last: date | None) -> SlotWindow | None:
    if first is None and last is None:
        return None
    start = first or datetime.now(UTC).date()
    end = last or start + timedelta(days=DEFAULT_SLOT_WINDOW_DAYS - 1)
    if end < start:
        raise ValidationFailed([("hasSlotTo", "hasSlotTo must not be before hasSlotFrom.")])
    if (end - start).days >= MAX_SLOT_WINDOW_DAYS:
        raise ValidationFailed(
            [("hasSlotTo", f"Ask for at most {MAX_SLOT_WINDOW_DAYS} days at a time.")]
        )
    return SlotWindow(start, end)


@dataclass(frozen=True, slots=True)
class Matching:
    """How one attempt matches text: its condition, relevance and the query for snippets."""

    mode: MatchMode
    condition: ColumnElement[bool] | None
    score: ColumnElement[Any]
    query: ColumnElement[Any] | None


def matching(terms: tsq.Terms, mode: MatchMode) -> Matching:
    vector = Practitioner.search_vector
    if mode == "browse" or not terms.words:
        return Matching("browse", None, ranking.quality(), None)
    if mode == "all":
        query = tsq.all_of(terms)
        text = ranking.text_relevance(1.0, tsq.rank(vector, query))
        return Matching("all", tsq.matches(vector, query), ranking.blended(text), query)
    query = tsq.any_of(terms)
    hits = [case((tsq.matches(vector, tsq.word_query(w)), 1.0), else_=0.0) for w in terms.words]
    coverage = sum(hits[1:], hits[0]) * (1.0 / len(hits))
    text = ranking.text_relevance(coverage, tsq.rank(vector, query))
    return Matching("any", tsq.matches(vector, query), ranking.blended(text), query)


def _ordering(sort: SearchSort, c: Any) -> list[Any]:
    if sort is SearchSort.DISTANCE:
        keys = [c.distance_km.asc()]
    elif sort is SearchSort.PRICE:
        keys = [c.hourly_rate.asc()]
    elif sort is SearchSort.EXPERIENCE:
        keys = [c.experience_years.desc()]
    elif sort is SearchSort.RATING:
        keys = [c.rating.desc(), c.review_count.desc()]
    else:
        keys = [c.score.desc()]
    return [*keys, c.id]  # the id makes pages stable under ties


def _matches(
    filters: DirectoryFilters, window: SlotWindow | None, how: Matching
) -> tuple[CTE, bool]:
    base, distance = directory_query(filters)
    conditions: list[ColumnElement[bool]] = []
    if how.condition is not None:
        conditions.append(how.condition)
    if window is not None:
        conditions.append(
            func.search_has_hours(Practitioner.id, window.first, window.last, type_=Boolean)
        )
    matches = (
        base.with_only_columns(
            Practitioner.id,
            Practitioner.specializations,
            Practitioner.languages,
            Practitioner.city,
            Practitioner.offers_online,
            Practitioner.offers_in_person,
            Practitioner.hourly_rate,
            Practitioner.rating,
            Practitioner.review_count,
            Practitioner.experience_years,
            how.score.label("score"),
            (distance if distance is not None else null()).label("distance_km"),
        )
        .where(*conditions)
        .cte("matches")
    )
    return matches, distance is not None


def search_statement(
    filters: DirectoryFilters,
    window: SlotWindow | None,
    how: Matching,
    sort: SearchSort,
    page: PageParams,
) -> Select[Any]:
    """One row: ``total``, ``page`` (``[[id, score, distance], ...]`` in order) and the facets."""
    matches, _ = _matches(filters, window, how)
    c = matches.c
    page_rows = (
        select(c.id, c.score, c.distance_km, c.hourly_rate, c.experience_years, c.rating)
        .add_columns(c.review_count)
        .order_by(*_ordering(sort, c))
        .offset(page.offset)
        .limit(page.limit)
        .subquery()
    )
    ids = func.json_agg(
        aggregate_order_by(
            func.json_build_array(page_rows.c.id, page_rows.c.score, page_rows.c.distance_km),
            *_ordering(sort, page_rows.c),
        )
    )
    return select(
        select(func.count()).select_from(matches).scalar_subquery().label("total"),
        select(ids).scalar_subquery().label("page"),
        *facet_columns(matches),
    )


def _escaped(column: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """HTML-escape in SQL before ts_headline, so its <mark> markers are the only markup."""
    value: Any = column
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        value = func.replace(value, raw, entity)
    return func.replace(value, "'", "&#39;")


async def _load_page(
    session: AsyncSession, ids: list[uuid.UUID], query: ColumnElement[Any] | None
) -> dict[uuid.UUID, tuple[Practitioner, str]]:
    if not ids:
        return {}
    source = func.concat_ws(" — ", Practitioner.headline, Practitioner.bio)
    snippet = (
        func.ts_headline(tsq.CONFIG, _escaped(source), query, HEADLINE_OPTIONS)
        if query is not None
        else literal("")
    )
    rows = await session.execute(select(Practitioner, snippet).where(Practitioner.id.in_(ids)))
    loaded: dict[uuid.UUID, tuple[Practitioner, str]] = {}
    for practitioner, text in rows:
        loaded[practitioner.id] = (practitioner, text or html.escape(practitioner.headline))
    return loaded


@dataclass(frozen=True, slots=True)
class Hit:
    practitioner: Practitioner
    score: float
    distance_km: float | None
    snippet: str


@dataclass(frozen=True, slots=True)
class PractitionerResults:
    hits: list[Hit]
    total: int
    facets: Facets
    info: QueryInfo


async def search_practitioners(
    session: AsyncSession,
    raw_query: str | None,
    filters: DirectoryFilters,
    window: SlotWindow | None,
    sort: SearchSort,
    page: PageParams,
) -> PractitionerResults:
    """Matches of every word first; if none, matches of any word, ranked by how many matched."""
    filters.check()
    if sort is SearchSort.DISTANCE and filters.lat is None:
        raise ValidationFailed([("sort", "sorting by distance needs lat and lng")])
    typed = tsq.parse(raw_query)
    terms, corrections = await analyse(session, typed)
    how = matching(terms, "all")
    row = (await session.execute(search_statement(filters, window, how, sort, page))).one()
    if row.total == 0 and len(terms.words) > 1:
        how = matching(terms, "any")
        row = (await session.execute(search_statement(filters, window, how, sort, page))).one()
    page_json = row.page or []
    loaded = await _load_page(session, [uuid.UUID(item[0]) for item in page_json], how.query)
    hits = []
    for raw_id, score, distance_km in page_json:
        practitioner, snippet = loaded[uuid.UUID(raw_id)]
        hits.append(Hit(practitioner, round(float(score), 6), distance_km, snippet))
    return PractitionerResults(
        hits=hits,
        total=int(row.total),
        facets=read_facets(row),
        info=query_info(typed, terms, corrections, how.mode),
    )


def query_info(
    typed: tsq.Terms, used: tsq.Terms, corrections: dict[str, str], mode: MatchMode
) -> QueryInfo:
    return QueryInfo(
        query=typed.text,
        corrected_query=used.text if corrections else None,
        corrections=[Correction(original=k, corrected=v) for k, v in corrections.items()],
        match=mode,
    )
