"""Search results: full-text practitioner search with the directory's filters, facets and sorting.

The query string is the state (so results can be shared, bookmarked and paged without JS). Values
a person typed that cannot be used (a price that is not a number) are dropped with a note rather
than answered with an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError
from klearkarma.core.pagination import PageParams
from klearkarma.platform import platform_of
from klearkarma.practitioners import service as practitioners
from klearkarma.search import service as search
from klearkarma.search.cache import SUGGEST_VERSION_KEY
from klearkarma.search.index_store import index_of
from klearkarma.search.query import MAX_QUERY_CHARS
from klearkarma.search.schemas import SearchSort
from klearkarma.search.spelling import speller_of
from klearkarma.web.pages import page_router
from klearkarma.web.rendering import render

router = page_router()
PER_PAGE = 12
SORTS = (
    ("relevance", "Best match"),
    ("rating", "Highest rated"),
    ("price", "Lowest price"),
    ("experience", "Most experienced"),
)
MODES = (("", "Online or in person"), ("online", "Online"), ("in_person", "In person"))
RATINGS = (("", "Any rating"), ("4.5", "4.5 and up"), ("4", "4 and up"), ("3", "3 and up"))
FILTER_KEYS = ("q", "specialization", "language", "city", "mode", "min_rate", "max_rate")


@dataclass
class Criteria:
    """What the visitor asked for, cleaned; ``notes`` say what had to be ignored."""

    q: str
    filters: practitioners.DirectoryFilters
    sort: SearchSort
    page: int
    values: dict[str, str]
    notes: list[str]


def _decimal(raw: str, label: str, notes: list[str]) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        notes.append(f"The {label} “{raw}” is not a number, so it was ignored.")
        return None
    if value < 0 or value > 1_000_000:
        notes.append(f"The {label} must be between 0 and 1,000,000; it was ignored.")
        return None
    return value


def criteria_of(request: Request) -> Criteria:
    params = request.query_params
    values = {key: params.get(key, "").strip()[:MAX_QUERY_CHARS] for key in FILTER_KEYS}
    values["min_rating"] = params.get("min_rating", "")
    values["sort"] = params.get("sort", "relevance")
    notes: list[str] = []
    min_rate = _decimal(values["min_rate"], "lowest price", notes)
    max_rate = _decimal(values["max_rate"], "highest price", notes)
    if min_rate is not None and max_rate is not None and min_rate > max_rate:
        notes.append("The lowest price was above the highest, so both were swapped.")
        min_rate, max_rate = max_rate, min_rate
    min_rating = float(values["min_rating"]) if values["min_rating"] in ("3", "4", "4.5") else None
    sort = SearchSort(values["sort"]) if values["sort"] in dict(SORTS) else SearchSort.RELEVANCE
    values["sort"] = sort.value
    try:
        page = max(1, min(int(params.get("page", "1")), 1000))
    except ValueError:
        page = 1
    mode = values["mode"]
    filters = practitioners.DirectoryFilters(
        specialization=values["specialization"] or None,
        language=values["language"] or None,
        city=values["city"] or None,
        min_rate=min_rate,
        max_rate=max_rate,
        min_rating=min_rating,
        online=True if mode == "online" else None,
        in_person=True if mode == "in_person" else None,
    )
    return Criteria(values["q"], filters, sort, page, values, notes)


def _link(values: dict[str, str], **changes: Any) -> str:
    merged = {**values, **{k: str(v) for k, v in changes.items()}}
    return "/search?" + urlencode({k: v for k, v in merged.items() if v and v != "relevance"})


@router.get("/search")
async def search_page(request: Request, session: SessionDep) -> Response:
    """Practitioners matching the words and filters, with counts to narrow further."""
    asked = criteria_of(request)
    modalities = {m.slug: m.name for m, _ in await practitioners.list_modalities(session)}
    try:
        platform = platform_of(request)
        version = await platform.cache.get(SUGGEST_VERSION_KEY)
        found = await search.search_practitioners(
            session,
            platform.db,
            speller_of(request, version),
            asked.q or None,
            asked.filters,
            None,
            asked.sort,
            PageParams(asked.page, PER_PAGE),
            index_of(request),
        )
    except AppError as exc:
        return render(
            request,
            "seeker/search.html",
            {
                "asked": asked,
                "found": None,
                "problem": exc.message,
                "modalities": modalities,
                "sorts": SORTS,
                "modes": MODES,
                "ratings": RATINGS,
            },
            status_code=exc.status_code,
        )
    pages = (found.total + PER_PAGE - 1) // PER_PAGE
    return render(
        request,
        "seeker/search.html",
        {
            "asked": asked,
            "found": found,
            "pages": pages,
            "previous_url": _link(asked.values, page=asked.page - 1) if asked.page > 1 else None,
            "next_url": _link(asked.values, page=asked.page + 1) if asked.page < pages else None,
            "modalities": modalities,
            "sorts": SORTS,
            "modes": MODES,
            "ratings": RATINGS,
        },
    )
