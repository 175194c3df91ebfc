"""Public search routes: practitioners (with facets), services, and prefix suggestions.

Answers are public and the same for everyone, so practitioner and service answers are kept twice:
in the shared cache with the global search version (a miss in one process is usually a hit for
the fleet) and in the process's response cache under the ``search`` tag; suggestions come from
each process's in-memory lists. ``search.cache.changed`` makes all of them fresh after a commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field

from klearkarma.core.db import SessionDep
from klearkarma.core.pagination import PageDep, PageQuery
from klearkarma.core.query_model import documented, query_model
from klearkarma.core.response_cache import cache_response
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, Meta, Pagination
from klearkarma.platform import platform_of
from klearkarma.practitioners.api import DirectoryQuery
from klearkarma.practitioners.models import ServiceMode
from klearkarma.practitioners.schemas import PractitionerSort, ServiceOut
from klearkarma.search import catalog, service, suggestions
from klearkarma.search.cache import (
    CACHE_SECONDS,
    SEARCH_TAG,
    SUGGEST_VERSION_KEY,
    VERSION_KEY,
    fresh,
    key_for,
    stored,
)
from klearkarma.search.index_store import index_of
from klearkarma.search.query import MAX_QUERY_CHARS
from klearkarma.search.schemas import (
    PractitionerSearchOut,
    SearchSort,
    ServiceHit,
    ServiceSearchOut,
    Suggestion,
)
from klearkarma.search.spelling import speller_of

router = APIRouter(prefix="/v1/search", tags=["search"], responses=ERROR_RESPONSES)

QUERY_TEXT_DESCRIPTION = "words to search for; any punctuation is ignored"
QueryText = Annotated[
    str | None, Query(max_length=MAX_QUERY_CHARS, description=QUERY_TEXT_DESCRIPTION)
]
Answer = tuple[bytes, Pagination | None]


def _respond(data_json: bytes, pagination: Pagination | None) -> Response:
    meta = Meta(pagination=pagination).model_dump_json(by_alias=True).encode()
    body = b'{"success":true,"data":' + data_json + b',"meta":' + meta + b"}"
    return Response(content=body, media_type="application/json")


async def _cached(
    request: Request, endpoint: str, compute: Callable[[bytes | None], Awaitable[Answer]]
) -> Response:
    """The cached answer for this endpoint and query string, computing and storing it on a miss.

    One round trip reads the search version, the vocabulary's version (``compute`` is given it,
    for spelling) and the kept answer together; an answer kept under an older search version is
    a miss (``search.cache.fresh``)."""
    cache = platform_of(request).cache
    cache_response(request, SEARCH_TAG)
    key = key_for(endpoint, {"q": sorted(request.query_params.multi_items())})
    version, vocabulary_version, kept = await cache.get_many(VERSION_KEY, SUGGEST_VERSION_KEY, key)
    answer = fresh(version, kept)
    if answer is not None:
        head, _, data_json = answer.partition(b"\n")
        pagination = Pagination.model_validate_json(head) if head != b"null" else None
        return _respond(data_json, pagination)
    data_json, pagination = await compute(vocabulary_version)
    head = pagination.model_dump_json(by_alias=True).encode() if pagination else b"null"
    await cache.set(key, stored(version, head + b"\n" + data_json), CACHE_SECONDS)
    return _respond(data_json, pagination)


class PractitionerSearchQuery(PageQuery, DirectoryQuery):
    q: str | None = Field(None, max_length=MAX_QUERY_CHARS, description=QUERY_TEXT_DESCRIPTION)
    has_slot_from: date | None = Field(None, alias="hasSlotFrom")
    has_slot_to: date | None = Field(None, alias="hasSlotTo")
    sort: SearchSort = SearchSort.RELEVANCE


@router.get(
    "/practitioners",
    response_model=Envelope[PractitionerSearchOut],
    response_class=Response,
    openapi_extra=documented(PractitionerSearchQuery),
)
async def search_practitioners(
    request: Request,
    query: Annotated[PractitionerSearchQuery, Depends(query_model(PractitionerSearchQuery))],
) -> Response:
    """Full-text search over verified practitioners with the directory's filters.

    Results carry ``score`` and an HTML ``snippet`` (escaped text, matches in ``<mark>``);
    ``facets`` count the whole filtered result set (see below). Misspelt words are corrected
    (``correctedQuery``); when no practitioner matches every word, those matching most words
    come first (``match: "any"``). ``hasSlotFrom``/``hasSlotTo`` keep practitioners with free
    working time on some day in that range (hours less blocked times and live bookings).
    Past 300 matches only the best 300 are ranked, counted and faceted:
    ``totalIsLowerBound`` is then true and ``meta.pagination.total`` is 300.
    """
    sort, page, q = query.sort, query.paging, query.q
    filters = query.filters(
        PractitionerSort.DISTANCE if sort is SearchSort.DISTANCE else PractitionerSort.RATING
    )
    window = service.slot_window(query.has_slot_from, query.has_slot_to)

    async def compute(vocabulary_version: bytes | None) -> Answer:
        db, speller = platform_of(request).db, speller_of(request, vocabulary_version)
        store = index_of(request)
        found = await service.find_practitioners(db, speller, q, filters, window, sort, page, store)
        info = found.info.model_dump_json(by_alias=True).encode()
        data = b"".join(
            (
                info[:-1],  # the query info object, left open for the rest
                b',"totalIsLowerBound":' + (b"true" if found.total_is_lower_bound else b"false"),
                b',"results":' + found.results_json,
                b',"facets":' + found.facets_json + b"}",
            )
        )
        return data, page.pagination(found.total)

    return await _cached(request, "practitioners", compute)


@router.get("/services", response_model=Envelope[ServiceSearchOut], response_class=Response)
async def search_services(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: QueryText = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    mode: ServiceMode | None = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Active services of verified practitioners matching the words, best first."""
    filters = catalog.CatalogFilters(category=category, mode=mode, city=city)

    async def compute(vocabulary_version: bytes | None) -> Answer:
        speller = speller_of(request, vocabulary_version)
        hits, total, info = await catalog.search_services(session, speller, q, filters, page)
        results = [
            ServiceHit(
                **ServiceOut.model_validate(h.service).model_dump(),
                practitioner_name=h.practitioner_name,
                city=h.city,
                practitioner_rating=h.practitioner_rating,
                score=h.score,
                snippet=h.snippet,
            )
            for h in hits
        ]
        out = ServiceSearchOut(**info.model_dump(), results=results)
        return out.model_dump_json(by_alias=True).encode(), page.pagination(total)

    return await _cached(request, "services", compute)


@router.get("/suggestions", response_model=Envelope[list[Suggestion]], response_class=Response)
async def suggest(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> Response:
    """Completions of a prefix: modalities, cities, service names, practitioner names."""
    # Answered from this process's sorted lists (see suggestions.py): cheaper than the shared
    # cache would be, so only the short-lived response cache sits in front.
    cache_response(request, SEARCH_TAG)
    store = getattr(request.app.state, "search_suggestions", None)
    if store is None:
        store = request.app.state.search_suggestions = suggestions.SuggestionStore()
    platform = platform_of(request)
    found = await suggestions.suggest(platform.db, platform.cache, store, q, limit)
    data = b"[" + b",".join(s.model_dump_json(by_alias=True).encode() for s in found) + b"]"
    return _respond(data, None)
