"""Prefix completion: modalities, cities, service names and practitioner names.

Every source is read through a btree range on ``text_pattern_ops`` (``key ~>=~ prefix AND key ~<~
prefix + U+10FFFF``): a byte-wise prefix range the planner can use even in a generic prepared plan,
where ``LIKE $1 || '%'`` could not use the index. Each source is limited on its own, so one
statement with four small index scans answers in well under a millisecond of database time.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    Text,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.practitioners.models import Modality, Practitioner
from klearkarma.practitioners.service import public
from klearkarma.search.models import SearchSuggestion
from klearkarma.search.schemas import Suggestion

MAX_PREFIX_CHARS = 60
_TOP = "\U0010ffff"


def normalise(prefix: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", prefix).casefold().split())[:MAX_PREFIX_CHARS]


def _starts(column: SQLColumnExpression[Any], prefix: str) -> ColumnElement[bool]:
    at_least = column.op("~>=~", is_comparison=True)(prefix)
    below = column.op("~<~", is_comparison=True)(prefix + _TOP)
    return at_least & below


async def suggest(session: AsyncSession, raw_prefix: str, limit: int) -> list[Suggestion]:
    prefix = normalise(raw_prefix)
    if not prefix:
        return []
    each = max(2, limit)
    slug = cast(Modality.slug, Text)
    modalities = (
        select(
            literal("modality").label("type"),
            Modality.name.label("text"),
            slug.label("id"),
            literal(0).label("source"),
            literal(0).label("weight"),
        )
        .where(or_(_starts(func.lower(Modality.name), prefix), _starts(Modality.slug, prefix)))
        .limit(each)
    )
    aggregated = [
        select(
            literal(kind).label("type"),
            SearchSuggestion.label.label("text"),
            literal(None, Text).label("id"),
            literal(rank).label("source"),
            SearchSuggestion.weight.label("weight"),
        )
        .where(SearchSuggestion.kind == kind, _starts(SearchSuggestion.key, prefix))
        .order_by(SearchSuggestion.weight.desc(), SearchSuggestion.key)
        .limit(each)
        for rank, kind in ((1, "city"), (2, "service"))
    ]
    name = func.lower(Practitioner.display_name)
    people = (
        select(
            literal("practitioner").label("type"),
            Practitioner.display_name.label("text"),
            cast(Practitioner.id, Text).label("id"),
            literal(3).label("source"),
            literal(0).label("weight"),
        )
        .where(public(), _starts(name, prefix))
        # USING ~<~ is the index's own (byte-wise) order, so the scan stops after ``each`` rows
        # instead of sorting every name with the prefix (13 ms for "an" at 100,000 names).
        .order_by(text("lower(practitioners.display_name) USING ~<~"))
        .limit(each)
    )
    combined = union_all(
        *(part.subquery().select() for part in (modalities, *aggregated, people))
    ).subquery()
    rows = await session.execute(
        select(combined.c.type, combined.c.text, combined.c.id).order_by(
            combined.c.source, combined.c.weight.desc(), combined.c.text
        )
    )
    return _balanced([Suggestion(type=t, text=x, id=i) for t, x, i in rows], limit)


def _balanced(found: list[Suggestion], limit: int) -> list[Suggestion]:
    """Up to ``limit`` suggestions taking from every type in turn, so names cannot crowd out a
    city or a modality; within a type the order is kept."""
    by_type: dict[str, list[Suggestion]] = {}
    for item in found:
        by_type.setdefault(item.type, []).append(item)
    queues: list[Any] = list(by_type.values())
    chosen: list[Suggestion] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    order = {"modality": 0, "city": 1, "service": 2, "practitioner": 3}
    return sorted(chosen, key=lambda s: order[s.type])  # stable: keeps each type's order
