"""Facet counts over the filtered result set, as scalar subqueries of the one search statement.

Each facet reads the same materialised set of candidates (a CTE referenced several times is
computed once), so facets cost one pass over at most ``search.service.CANDIDATES`` rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Text,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from klearkarma.search.schemas import FacetCount, Facets, ModeCounts, PriceBand

FACET_LIMIT = 20
# Hourly rates in the platform currency (INR); the last band is open-ended.
PRICE_BANDS: tuple[tuple[Decimal | None, Decimal | None], ...] = (
    (None, Decimal("1000")),
    (Decimal("1000"), Decimal("2000")),
    (Decimal("2000"), Decimal("3500")),
    (Decimal("3500"), Decimal("5000")),
    (Decimal("5000"), None),
)
_EMPTY: ColumnElement[Any] = literal_column("'[]'::json")


def _counts(values: Select[Any]) -> ColumnElement[Any]:
    """``[[value, count], ...]`` as JSON, most frequent first, ties alphabetical."""
    sub = values.subquery()
    pairs = func.json_agg(
        aggregate_order_by(func.json_build_array(sub.c.v, sub.c.n), sub.c.n.desc(), sub.c.v)
    )
    return select(func.coalesce(pairs, _EMPTY)).scalar_subquery()


def _top(matches: FromClause, value: ColumnElement[Any]) -> Select[Any]:
    n = func.count().label("n")
    return (
        select(value.label("v"), n)
        .select_from(matches)
        .group_by(value)
        .order_by(n.desc(), value)
        .limit(FACET_LIMIT)
    )


def _unnested(matches: FromClause, column: ColumnElement[Any]) -> Select[Any]:
    each = func.unnest(column).table_valued("v").render_derived(name="each")
    n = func.count().label("n")
    return (
        select(each.c.v, n)
        .select_from(matches)
        .join(each, true())
        .group_by(each.c.v)
        .order_by(n.desc(), each.c.v)
        .limit(FACET_LIMIT)
    )


def _band(rate: ColumnElement[Any]) -> ColumnElement[int]:
    whens = [(rate < high, index) for index, (_, high) in enumerate(PRICE_BANDS) if high]
    return case(*whens, else_=len(PRICE_BANDS) - 1)


def facet_columns(matches: FromClause) -> list[ColumnElement[Any]]:
    """The facets as one text column ``facets`` (a JSON array: specializations, languages,
    cities, modes, price bands): one value for the driver to pass on, parsed by ``read_facets``."""
    c = matches.c
    modes = select(
        func.json_build_array(
            func.count().filter(c.offers_online), func.count().filter(c.offers_in_person)
        )
    ).select_from(matches)
    every = func.json_build_array(
        _counts(_unnested(matches, c.specializations)),
        _counts(_unnested(matches, c.languages)),
        _counts(_top(matches, c.city).where(c.city.is_not(None))),
        modes.scalar_subquery(),
        _counts(_top(matches, _band(c.hourly_rate))),
    )
    return [cast(every, Text).label("facets")]


def read_facets(raw: str | bytes) -> Facets:
    specializations, languages, cities, (online, in_person), prices = orjson.loads(raw)
    bands = {int(index): int(count) for index, count in prices}
    return Facets(
        specializations=[FacetCount(value=v, count=n) for v, n in specializations],
        languages=[FacetCount(value=v, count=n) for v, n in languages],
        cities=[FacetCount(value=v, count=n) for v, n in cities],
        modes=ModeCounts(online=int(online), in_person=int(in_person)),
        price_bands=[
            PriceBand(key=_band_key(low, high), min=low, max=high, count=bands.get(index, 0))
            for index, (low, high) in enumerate(PRICE_BANDS)
        ],
    )


def _band_key(low: Decimal | None, high: Decimal | None) -> str:
    if low is None:
        return f"<{high}"
    return f"{low}+" if high is None else f"{low}-{high}"
