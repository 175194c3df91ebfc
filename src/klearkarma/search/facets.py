"""Facet counts over the filtered result set, as one scalar subquery of the search statement.

The facets read the materialised set of candidates once, so they cost one pass over at most
``search.service.CANDIDATES`` rows and one aggregate (five aggregates, one per facet, cost
about four times as much).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
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


def _band(rate: ColumnElement[Any]) -> ColumnElement[int]:
    whens = [(rate < high, index) for index, (_, high) in enumerate(PRICE_BANDS) if high]
    return case(*whens, else_=len(PRICE_BANDS) - 1)


def facet_column(matches: FromClause) -> ColumnElement[Any]:
    """Every facet as one text column ``facets``: a JSON array of ``[kind, value, count]``, most
    frequent first within a kind, ties alphabetical; parsed by ``read_facets``.

    One pass over the matches: each contributes one (kind, value) pair per specialization,
    language, city, price band and mode it has, and a single aggregate counts them all."""
    c = matches.c
    each = func.unnest(c.specializations).table_valued("v").render_derived(name="each")
    spoken = func.unnest(c.languages).table_valued("v").render_derived(name="spoken")
    pairs = union_all(
        select(literal("s").label("k"), cast(each.c.v, Text).label("v"))
        .select_from(matches)
        .join(each, true()),
        select(literal("l"), cast(spoken.c.v, Text)).select_from(matches).join(spoken, true()),
        select(literal("c"), c.city).where(c.city.is_not(None)),
        select(literal("p"), cast(_band(c.hourly_rate), Text)),
        select(literal("o"), literal("online")).where(c.offers_online),
        select(literal("i"), literal("in_person")).where(c.offers_in_person),
    ).subquery("pairs")
    n = func.count().label("n")
    counted = select(pairs.c.k, pairs.c.v, n).group_by(pairs.c.k, pairs.c.v).subquery("counted")
    k = counted.c
    listed = func.json_agg(
        aggregate_order_by(func.json_build_array(k.k, k.v, k.n), k.k, k.n.desc(), k.v)
    )
    every = select(cast(func.coalesce(listed, _EMPTY), Text)).scalar_subquery()
    return every.label("facets")


def read_facets(raw: str | bytes) -> Facets:
    counts: dict[str, list[FacetCount]] = {"s": [], "l": [], "c": [], "p": [], "o": [], "i": []}
    for kind, value, count in orjson.loads(raw):
        counts[kind].append(FacetCount(value=value, count=int(count)))
    bands = {int(f.value): f.count for f in counts["p"]}
    return Facets(
        specializations=counts["s"][:FACET_LIMIT],
        languages=counts["l"][:FACET_LIMIT],
        cities=counts["c"][:FACET_LIMIT],
        modes=ModeCounts(
            online=sum(f.count for f in counts["o"]), in_person=sum(f.count for f in counts["i"])
        ),
        price_bands=[
            PriceBand(key=_band_key(low, high), min=low, max=high, count=bands.get(index, 0))
            for index, (low, high) in enumerate(PRICE_BANDS)
        ],
    )


def _band_key(low: Decimal | None, high: Decimal | None) -> str:
    if low is None:
        return f"<{high}"
    return f"{low}+" if high is None else f"{low}-{high}"
