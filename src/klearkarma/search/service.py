"""Practitioner search: the public directory's filters plus full-text relevance, facets, snippets.

Search is a read model over the practitioners context: it starts from that context's directory
query (``practitioners.service``'s visibility condition and filters, so search can never show a
practitioner the directory hides, and a filter means exactly the same thing in both places) and
adds the text match, ranking and facets on top.

One statement takes the matches (at most ``CANDIDATES + 1`` of them, in an order an index can
give), and returns how many it found, the asked page as the API's JSON (summaries, scores,
highlighted snippets) and every facet. See docs/search.md for why broad searches are bounded.
"""

from __future__ import annotations

import functools
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    CTE,
    Boolean,
    ClauseElement,
    ColumnElement,
    Date,
    Float,
    Integer,
    Numeric,
    Select,
    SQLColumnExpression,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    null,
    select,
    table,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.db import Database
from klearkarma.core.errors import ValidationFailed
from klearkarma.core.pagination import PageParams
from klearkarma.core.prepared import DriverStatement, for_driver
from klearkarma.practitioners.models import Practitioner
from klearkarma.practitioners.service import (
    Clause,
    DirectoryFilters,
    directory_clauses,
    public,
    values_of,
)
from klearkarma.search import query as tsq
from klearkarma.search import ranking
from klearkarma.search.facets import facet_column, read_facets
from klearkarma.search.index import Selection
from klearkarma.search.index import select as select_candidates
from klearkarma.search.index_store import IndexStore
from klearkarma.search.schemas import Correction, Facets, MatchMode, QueryInfo, SearchSort
from klearkarma.search.spelling import Speller

# Matches ranked, counted and faceted per search; beyond it the total is a lower bound.
CANDIDATES = 300
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
    """How one attempt matches text: its mode and words (the words reach SQL as parameters)."""

    mode: MatchMode
    words: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, str]:
        """Values of the word parameters of the cached ranking and snippet expressions."""
        if self.mode == "browse":
            return {}
        return {"q_all": " ".join(self.words)} | {f"q_{i}": w for i, w in enumerate(self.words)}

    def query(self) -> ColumnElement[Any] | None:
        """The tsquery over the word parameters (``params``), for ranking and snippets."""
        if self.mode == "browse":
            return None
        if self.mode == "all":
            return tsq.all_of(bindparam("q_all", type_=Text))
        return self.any_query()

    def any_query(self) -> ColumnElement[Any]:
        """Any of the words: what ``ts_rank`` ranks by, in either mode (see ``tsq.rank``)."""
        words = [tsq.word_query(bindparam(f"q_{i}", type_=Text)) for i in range(len(self.words))]
        return functools.reduce(lambda a, b: a.op("||", return_type=TSQUERY)(b), words)

    def score(
        self, vector: SQLColumnExpression[Any], quality: SQLColumnExpression[Any]
    ) -> ColumnElement[Any]:
        """The ranking formula over a row's document and stored quality (see ranking.py)."""
        query = self.query()
        if query is None:
            return quality  # type: ignore[return-value]
        rank = tsq.rank(vector, self.any_query())
        if self.mode == "all":
            return ranking.blended(ranking.text_relevance(1.0, rank), quality)
        hits = [
            case(
                (tsq.matches(vector, tsq.word_query(bindparam(f"q_{i}", type_=Text))), 1.0),
                else_=0.0,
            )
            for i in range(len(self.words))
        ]
        coverage = sum(hits[1:], hits[0]) * (1.0 / len(hits))
        return ranking.blended(ranking.text_relevance(coverage, rank), quality)


def matching(terms: tsq.Terms, mode: MatchMode) -> Matching:
    if mode == "browse" or not terms.words:
        return Matching("browse")
    return Matching(mode, terms.words)


def _order(sort: SearchSort, c: Any, *, relevance: Any) -> list[Any]:
    """The order of a sort over columns ``c``; ``relevance`` is the key for relevance."""
    keys: list[Any]
    if sort is SearchSort.DISTANCE:
        keys = [c.distance_km.asc()]
    elif sort is SearchSort.PRICE:
        keys = [c.hourly_rate.asc()]
    elif sort is SearchSort.EXPERIENCE:
        keys = [c.experience_years.desc()]
    elif sort is SearchSort.RATING:
        keys = [c.rating.desc(), c.review_count.desc()]
    else:
        keys = [relevance.desc()]
    return [*keys, c.id]  # the id makes pages stable under ties


_P = Practitioner
Shape = tuple[Any, ...]
_MAX_SHAPES = 1024  # combinations of filters, sorts and word counts: few are asked
# What a candidate carries: its id, sort keys and facet values; never the document or the texts
# (the page's 20 rows take those from the table), so the materialised candidates stay narrow.
CANDIDATE_COLUMNS = (
    _P.id, _P.specializations, _P.languages, _P.experience_years, _P.hourly_rate, _P.rating,
    _P.review_count, _P.city, _P.offers_online, _P.offers_in_person, _P.search_quality,
)  # fmt: skip
# What the ranking, facet and page part of the statement reads: the candidates, by name.
_CANDIDATES = table(
    "candidates",
    *(column(c.key, c.type) for c in CANDIDATE_COLUMNS),
    column("distance_km", Float),
    column("row_at"),  # the row's ctid: reading it again is one page, not an index descent
)


# Where each candidate's row is (its tuple id). Within one statement the candidates' row versions
# stay where they were read, so the ranking and the page fetch them again by TID scan.
_ROW_AT: ColumnElement[Any] = literal_column("practitioners.ctid")


def _candidates(
    clauses: list[Clause],
    distance: Clause | None,
    window: bool,
    how: Matching,
    sort: SearchSort,
    banded: bool,
) -> CTE:
    """At most ``CANDIDATES + 1`` matches, taken in the page's own order, except that relevance
    (which needs each row's text rank) takes them by stored quality, through its index.

    With no more than ``CANDIDATES`` matches this is every match, and everything after it is
    exact. With more, the extra row only says so: the total becomes a lower bound and the facets
    and pages cover the first ``CANDIDATES``.

    ``banded`` (relevance with words only): first look among practitioners whose quality is at
    least ``quality_floor`` — the best tenth or so, which the quality index and the text index
    narrow together — and only when that band holds too few matches, among all. Either way the
    result is the same rows: the best by quality are in the band whenever the band has enough
    of them. It saves reading every match of words that are common together ("sound healing"),
    whose count the planner underestimates.
    """
    conditions = [public(), *(clause.sql() for clause in clauses)]
    query = how.query()
    if query is not None:
        conditions.append(tsq.matches(Practitioner.search_vector, query))
    if window:
        first, last = bindparam("slot_first", type_=Date), bindparam("slot_last", type_=Date)
        conditions.append(func.search_has_hours(Practitioner.id, first, last, type_=Boolean))
    km = distance.sql() if distance is not None else null()
    order = _order(sort, _Keys(distance_km=km), relevance=Practitioner.search_quality)
    every = (
        select(*CANDIDATE_COLUMNS, km.label("distance_km"), _ROW_AT.label("row_at"))
        .where(*conditions)
        .order_by(*order)
        .limit(bindparam("candidate_rows", type_=Integer))
    )
    if not banded:
        return every.cte("candidates")
    floor = bindparam("quality_floor", type_=Float)
    band = every.where(Practitioner.search_quality >= floor).cte("banded")
    enough = select(func.count()).select_from(band).scalar_subquery() > bindparam("cap")
    rest = every.subquery("every")
    return union_all(select(band).where(enough), select(rest).where(~enough)).cte("candidates")


def band_can_fill(how: Matching, documents_with: Callable[[str], int]) -> bool:
    """Whether the quality band can hold ``CANDIDATES`` matches, judged by the documents the
    words are in (the process's vocabulary): every word must match, so the rarest word bounds
    the matches; any word, the commonest. The band is the best ``1 - SHARE`` of practitioners:
    below ``CANDIDATES / (1 - SHARE)`` matches it would come up short, and its scan would be
    repeated over every match ("deep tissue massage": 5 ms of 16). Only speed depends on it."""
    if not how.words:
        return True
    documents = [documents_with(word) for word in how.words]
    bound = min(documents) if how.mode == "all" else max(documents)
    return bound >= CANDIDATES / (1 - _QualityFloor.SHARE)


def band_floor(
    filters: DirectoryFilters,
    window: SlotWindow | None,
    how: Matching,
    floor: float | None,
    documents_with: Callable[[str], int],
) -> float | None:
    """The quality floor to look above first (``_candidates``), or None to read every match: a
    city, a radius, a specialization or a date window usually leave too few matches to fill
    the band, and so do words in too few documents (``band_can_fill``)."""
    narrow = (filters.city, filters.radius_km, filters.specialization, window)
    if any(v is not None for v in narrow) or not band_can_fill(how, documents_with):
        return None
    return floor


class _QualityFloor:
    """The stored quality of the best tenth of public practitioners, per process, re-read every
    few minutes. Only speed depends on it (see ``_candidates``), so a stale value is harmless."""

    SHARE = 0.9
    MAX_AGE_SECONDS = 300.0

    def __init__(self) -> None:
        self.floor: float | None = None
        self.read_at = -math.inf

    async def value(self, db: Database) -> float | None:
        if time.monotonic() - self.read_at > self.MAX_AGE_SECONDS:
            self.read_at = time.monotonic()
            row = await db.read(_FLOOR.sql, *_FLOOR.args({}))
            self.floor = None if row is None else row[0]
        return self.floor


_FLOOR = for_driver(
    select(
        func.percentile_disc(_QualityFloor.SHARE).within_group(Practitioner.search_quality)
    ).where(public())
)
_QUALITY_FLOOR = _QualityFloor()


class _Keys:
    """Practitioner's sort columns, plus the distance expression of this search."""

    def __init__(self, distance_km: Any) -> None:
        self.distance_km = distance_km
        self.hourly_rate = Practitioner.hourly_rate
        self.experience_years = Practitioner.experience_years
        self.rating = Practitioner.rating
        self.review_count = Practitioner.review_count
        self.id = Practitioner.id


def _result_json(
    p: Any, distance_km: Any, score: Any, snippet: ColumnElement[Any]
) -> ColumnElement[Any]:
    """One result as the API shows it: the directory's practitioner summary, score, snippet."""
    return func.json_build_object(
        "id", p.id,
        "displayName", p.display_name,
        "headline", p.headline,
        "specializations", p.specializations,
        "languages", p.languages,
        "experienceYears", p.experience_years,
        "hourlyRate", cast(p.hourly_rate, Text),
        "currency", p.currency,
        "rating", cast(p.rating, Float),
        "reviewCount", p.review_count,
        "totalSessions", p.total_sessions,
        "city", p.city,
        "country", p.country,
        "offersOnline", p.offers_online,
        "offersInPerson", p.offers_in_person,
        "verificationStatus", p.verification_status,
        "distanceKm", func.round(cast(distance_km, Numeric), 2),
        "score", cast(func.round(cast(score, Numeric), 6), Float),
        "snippet", snippet,
    )  # fmt: skip


def _ranked(mode: MatchMode, words: int, sort: SearchSort) -> Select[Any]:
    """Everything after the candidates (built when a shape is first compiled): ranking, the page
    as JSON with snippets, the facets. Parameters: ``cap``, ``page_offset``, ``page_limit`` and
    the words (``Matching.params``).

    Text relevance needs each candidate's document, which the candidates do not carry: a
    relevance sort reads it for the kept candidates by tuple id; any other sort scores only
    the page's rows."""
    how = Matching(mode, tuple("" for _ in range(words)))
    c = _CANDIDATES.c
    kept = (
        select(_CANDIDATES)
        .order_by(*_order(sort, c, relevance=c.search_quality))
        .limit(bindparam("cap", type_=Integer))
        .cte("kept")
    )
    k = kept.c
    document = Practitioner.__table__.alias("document")
    shown = Practitioner.__table__.alias("shown")
    query = how.query()
    ranked: Any = kept
    score: Any = k.search_quality if query is None else null()
    if sort is SearchSort.RELEVANCE and query is not None:
        # By tuple id for the kept candidates only: scoring as the scan takes rows would
        # score every match of a search that reads them all (thousands, for common words).
        score = how.score(document.c.search_vector, k.search_quality)
        on_row = literal_column("document.ctid") == k.row_at
        ranked = select(*k, score.label("score")).join_from(kept, document, on_row)
        ranked = ranked.subquery("ranked")
        score = ranked.c.score
    order = _order(sort, ranked.c, relevance=score)
    page_rows = (
        select(
            ranked.c.id,
            ranked.c.row_at,
            ranked.c.distance_km,
            score.label("score"),
            func.row_number().over(order_by=order).label("position"),
        )
        .order_by(*order)
        .offset(bindparam("page_offset", type_=Integer))
        .limit(bindparam("page_limit", type_=Integer))
        .subquery("page_rows")
    )
    r = page_rows.c
    shown_score: Any = r.score
    if sort is not SearchSort.RELEVANCE and query is not None:
        shown_score = how.score(shown.c.search_vector, shown.c.search_quality)
    page_json = _page_json(
        page_rows.join(shown, literal_column("shown.ctid") == r.row_at),
        shown,
        r.distance_km,
        shown_score,
        r.position,
        query,
    )
    return select(
        select(func.count()).select_from(_CANDIDATES).scalar_subquery().label("found"),
        page_json.scalar_subquery().label("page"),
        facet_column(kept),
    )


def _page_json(
    rows: Any, shown: Any, distance_km: Any, score: Any, position: Any, query: Any
) -> Select[Any]:
    """The page as the API's JSON text: one ``_result_json`` per row of ``rows`` (practitioners
    as ``shown``), in ``position`` order, with snippets of ``query``'s words."""
    escaped_headline = _escaped(shown.c.headline)
    snippet: ColumnElement[Any] = escaped_headline
    if query is not None:
        source = func.concat_ws(" — ", shown.c.headline, shown.c.bio)
        marked = func.ts_headline(tsq.CONFIG, _escaped(source), query, HEADLINE_OPTIONS)
        snippet = func.coalesce(func.nullif(marked, ""), escaped_headline)
    results = func.json_agg(
        aggregate_order_by(_result_json(shown.c, distance_km, score, snippet), position)
    )
    return select(cast(func.coalesce(results, literal_column("'[]'::json")), Text)).select_from(
        rows
    )


def _compiled(
    cache: dict[Shape, DriverStatement], shape: Shape, build: Callable[[], ClauseElement]
) -> DriverStatement:
    """The statement of ``shape``, compiled once (``build`` makes it the first time); the cache
    starts again past ``_MAX_SHAPES`` shapes."""
    statement = cache.get(shape)
    if statement is None:
        if len(cache) >= _MAX_SHAPES:
            cache.clear()
        statement = cache[shape] = for_driver(build())
    return statement


_PAGES: dict[Shape, DriverStatement] = {}
_LATEST_REVISION: ColumnElement[Any] = literal_column(
    "(SELECT last_value FROM search_revision)"
).label("revision")


def page_statement(
    filters: DirectoryFilters, how: Matching, ids: list[str], scores: list[float]
) -> tuple[DriverStatement, list[Any]]:
    """The page the in-memory index chose (``ids`` in hex, in order, with their ``scores``) as the
    API's JSON, read from the table and checked again against visibility and every filter: a
    practitioner hidden or changed since the index last looked drops out of the page."""
    clauses, distance = directory_clauses(filters)
    shape = (
        tuple(clause.key for clause in clauses),
        distance is not None,
        how.mode,
        len(how.words),
    )

    def build() -> ClauseElement:
        rows = (
            func.unnest(
                bindparam("page_ids", type_=ARRAY(Uuid)),
                bindparam("page_scores", type_=ARRAY(Float)),
            )
            .table_valued("id", "score", with_ordinality="position")
            .render_derived(name="page_rows")
        )
        table = Practitioner.__table__
        km = distance.sql() if distance is not None else null()
        # Each id looked up on its own (LATERAL ... LIMIT 1): the plan is a primary-key probe
        # per row whatever the values, so it is planned once per connection (``generic_plan``)
        # and cannot turn into a scan of the filters' indexes.
        shown = (
            select(table, km.label("distance_km"))
            .where(table.c.id == rows.c.id, public(), *(clause.sql() for clause in clauses))
            .limit(1)
            .lateral("shown")
        )
        wanted = Matching(how.mode, tuple("" for _ in how.words))
        page = _page_json(
            rows.join(shown, true()),
            shown,
            shown.c.distance_km,
            rows.c.score,
            rows.c.position,
            wanted.query(),
        )
        # The revision the database is at, read in the same round trip: if it moved since the
        # index was brought up to date, the search is made again on the refreshed index.
        return select(page.scalar_subquery().label("page"), _LATEST_REVISION)

    statement = _compiled(_PAGES, shape, build)
    values = {"page_ids": ids, "page_scores": scores} | how.params | values_of(clauses, distance)
    return statement, statement.args(values)


_STATEMENTS: dict[Shape, DriverStatement] = {}


def search_statement(
    filters: DirectoryFilters,
    window: SlotWindow | None,
    how: Matching,
    sort: SearchSort,
    page: PageParams,
    floor: float | None = None,
) -> tuple[DriverStatement, list[Any]]:
    """One row: ``found`` (matches, at most ``CANDIDATES + 1``), ``page`` (the page's results as
    JSON objects, in order) and the facets; as SQL compiled once per shape of search (which
    filters, how many words, which sort: see ``core.prepared``) and this search's arguments."""
    clauses, distance = directory_clauses(filters)
    banded = floor is not None and how.mode != "browse" and sort is SearchSort.RELEVANCE
    shape = (
        tuple(clause.key for clause in clauses),
        distance is not None,
        window is not None,
        how.mode,
        len(how.words),
        sort,
        banded,
    )

    def build() -> ClauseElement:
        candidates = _candidates(clauses, distance, window is not None, how, sort, banded)
        return _ranked(how.mode, len(how.words), sort).add_cte(candidates)

    statement = _compiled(_STATEMENTS, shape, build)
    values: dict[str, Any] = {"cap": CANDIDATES, "candidate_rows": CANDIDATES + 1}
    values["page_offset"] = page.offset
    values |= {"page_limit": page.limit, "quality_floor": floor} | how.params
    values |= values_of(clauses, distance)
    if window is not None:
        values |= {"slot_first": window.first, "slot_last": window.last}
    return statement, statement.args(values)


def _escaped(column: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """HTML-escape in SQL before ts_headline, so its <mark> markers are the only markup."""
    value: Any = column
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        value = func.replace(value, raw, entity)
    return func.replace(value, "'", "&#39;")


@dataclass(frozen=True, slots=True)
class Hit:
    practitioner: Practitioner
    score: float
    distance_km: float | None
    snippet: str


@dataclass(frozen=True, slots=True)
class Found:
    """One search's answer as the database gave it: the results already in their API JSON."""

    results_json: bytes  # a JSON array of the page's results, as the API shows them
    total: int
    total_is_lower_bound: bool
    facets_json: bytes  # the facets object, as the API shows it
    info: QueryInfo


@dataclass(frozen=True, slots=True)
class PractitionerResults:
    hits: list[Hit]
    total: int
    facets: Facets
    info: QueryInfo
    total_is_lower_bound: bool = False  # more than CANDIDATES matched: "total or more"


async def find_practitioners(
    db: Database,
    speller: Speller,
    raw_query: str | None,
    filters: DirectoryFilters,
    window: SlotWindow | None,
    sort: SearchSort,
    page: PageParams,
    store: IndexStore | None = None,
) -> Found:
    """Matches of every word first; if none, matches of any word, ranked by how many matched.

    With the process's index (``store``) the index finds, orders and facets the candidates and
    one statement reads the page. Otherwise (no index, or a date window) it runs outside any
    transaction on ``db``'s read connections: one statement (two when no practitioner has
    every word), planned for its own words and filters (a cached generic plan cannot know
    whether "yoga", 21,000 matches, or "vipassana", 40, was asked). Both give the same answer
    (tests/search/test_index.py).
    """
    filters.check()
    if sort is SearchSort.DISTANCE and filters.lat is None:
        raise ValidationFailed([("sort", "sorting by distance needs lat and lng")])
    typed = tsq.parse(raw_query)
    terms, corrections = await speller.analyse(typed)
    words = _single_lexemes(speller.lexemes_of(terms.words))
    # The index holds no availability: searches with a date window take the statement.
    if store is not None and window is None and words is not None:
        how, found, page_json, facets_json = await _from_index(
            db, store, words, terms, filters, sort, page
        )
    else:
        how, found, page_json, facets_json = await _from_statement(
            db, speller, terms, filters, window, sort, page
        )
    return Found(
        results_json=page_json.encode(),  # text: passed on as it is, never decoded
        total=min(found, CANDIDATES),
        total_is_lower_bound=found > CANDIDATES,
        facets_json=facets_json,
        info=query_info(typed, terms, corrections, how.mode),
    )


# How a search was answered: the match mode, the matches found (at most CANDIDATES + 1), the
# page as JSON text and the facets as JSON.
Answered = tuple["Matching", int, str, bytes]


async def _from_statement(
    db: Database,
    speller: Speller,
    terms: tsq.Terms,
    filters: DirectoryFilters,
    window: SlotWindow | None,
    sort: SearchSort,
    page: PageParams,
) -> Answered:
    """The whole search as one statement (two when no practitioner has every word)."""
    floor = await _QUALITY_FLOOR.value(db)

    async def attempt(how: Matching) -> Any:
        band = band_floor(filters, window, how, floor, speller.documents_with)
        statement, args = search_statement(filters, window, how, sort, page, band)
        row = await db.read(statement.sql, *args)
        assert row is not None  # one aggregate row, always
        return row

    how = matching(terms, "all")
    row = await attempt(how)
    if row["found"] == 0 and len(terms.words) > 1:
        how = matching(terms, "any")
        row = await attempt(how)
    return how, int(row["found"]), row["page"], read_facets(row["facets"])


def _single_lexemes(lexemes: list[tuple[str, ...]] | None) -> list[str] | None:
    """The lexeme of each word, or None when a word is unknown or has several (PostgreSQL
    matches those as a phrase, which the index does not do)."""
    if lexemes is None or any(len(each) != 1 for each in lexemes):
        return None
    return [each[0] for each in lexemes]


async def _from_index(
    db: Database,
    store: IndexStore,
    words: list[str],
    terms: tsq.Terms,
    filters: DirectoryFilters,
    sort: SearchSort,
    page: PageParams,
) -> Answered:
    """The index's candidates and facets, and the page read by one statement, which also says
    whether the database changed since the index was brought up to date: if so, the index takes
    the changes and the search is made again (so a search sees every change committed before
    it, without a round trip of its own to ask)."""
    index = await store.ready(db)

    def choose(mode: MatchMode) -> tuple[Matching, Selection]:
        how = matching(terms, mode)  # "browse" when there are no words
        chosen = select_candidates(
            index, words, how.mode, filters, sort, page.offset, page.limit, CANDIDATES
        )
        return how, chosen

    for _ in range(2):  # at most once more: a busy marketplace changes all the time
        how, chosen = choose("all")
        if chosen.found == 0 and len(words) > 1:
            how, chosen = choose("any")
        statement, args = page_statement(filters, how, chosen.page, chosen.scores)
        row = await db.read(statement.sql, *args, generic_plan=True)
        assert row is not None  # one aggregate row, always
        refreshed = await store.caught_up(db, row["revision"])
        if refreshed is None:
            break
        index = refreshed
    assert row is not None
    return how, chosen.found, row["page"], chosen.facets_json


async def search_practitioners(
    session: AsyncSession,
    db: Database,
    speller: Speller,
    raw_query: str | None,
    filters: DirectoryFilters,
    window: SlotWindow | None,
    sort: SearchSort,
    page: PageParams,
    store: IndexStore | None = None,
) -> PractitionerResults:
    """``find_practitioners`` with each result's practitioner loaded (for server-side pages)."""
    found = await find_practitioners(db, speller, raw_query, filters, window, sort, page, store)
    results = orjson.loads(found.results_json)
    ids = [uuid.UUID(item["id"]) for item in results]
    loaded = {
        p.id: p for p in await session.scalars(select(Practitioner).where(Practitioner.id.in_(ids)))
    }
    hits = [
        Hit(loaded[uuid.UUID(item["id"])], item["score"], item["distanceKm"], item["snippet"])
        for item in results
        if uuid.UUID(item["id"]) in loaded
    ]
    return PractitionerResults(
        hits=hits,
        total=found.total,
        facets=Facets.model_validate_json(found.facets_json),
        info=found.info,
        total_is_lower_bound=found.total_is_lower_bound,
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
