"""Facet counts over the filtered result set, as one scalar subquery of the search statement.

The facets read the materialised set of candidates once, so they cost one pass over at most
``search.service.CANDIDATES`` rows and one aggregate (five aggregates, one per facet, cost
about four times as much).
"""

from __future__ import annotations

from collections.abc import Iterable
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
        # Ties by code point (C collation) whatever the database's: the index sorts like Python.
        aggregate_order_by(func.json_build_array(k.k, k.v, k.n), k.k, k.n.desc(), k.v.collate("C"))
    )
    every = select(cast(func.coalesce(listed, _EMPTY), Text)).scalar_subquery()
    return every.label("facets")


def read_facets(raw: str | bytes) -> bytes:
    """The API's facets JSON from ``facet_column``'s text."""
    return facets_json(orjson.loads(raw))


def facets_json(listed: Iterable[tuple[str, str, int]]) -> bytes:
    """The API's ``Facets`` as JSON, from ``[kind, value, count]`` triples (most frequent first
    within a kind), written directly: a search answers with it on every request, and building
    and dumping the models cost more than counting the facets (a test checks the JSON is
    exactly what the model would write)."""
    counts: dict[str, list[dict[str, Any]]] = {"s": [], "l": [], "c": [], "p": [], "o": [], "i": []}
    for kind, value, count in listed:
        counts[kind].append({"value": value, "count": int(count)})
    bands = {int(f["value"]): f["count"] for f in counts["p"]}
    return orjson.dumps(
        {
            "specializations": counts["s"][:FACET_LIMIT],
            "languages": counts["l"][:FACET_LIMIT],
            "cities": counts["c"][:FACET_LIMIT],
            "modes": {
                "online": sum(f["count"] for f in counts["o"]),
                "inPerson": sum(f["count"] for f in counts["i"]),
            },
            "priceBands": [
                {"key": _band_key(low, high), "min": _text(low), "max": _text(high)}
                | {"count": bands.get(index, 0)}
                for index, (low, high) in enumerate(PRICE_BANDS)
            ],
        }
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _band_key(low: Decimal | None, high: Decimal | None) -> str:
    if low is None:
        return f"<{high}"
    return f"{low}+" if high is None else f"{low}-{high}"
