"""Prefix completion: modalities, cities, service names and practitioner names, from memory.

Suggestions are asked for on every keystroke, so each process keeps them in sorted lists and
answers a prefix with ``bisect`` (no SQL, no round trip to the database). The lists are loaded
from the database — modalities, the trigger-kept ``search_suggestions`` (cities and service names
with how many public practitioners or services use them) and the names of public practitioners —
and loaded again when the shared ``search-suggest-version`` moves (``search.cache.changed`` moves
it after any change that can add, rename or hide one: profile and service edits, verification,
suspension, erasure, the hourly refresh), or after ``MAX_AGE_SECONDS`` as a safety net for
changes made behind the application's back. Ratings and session counts do not move it.

Matching is on the same normalised form on both sides (NFKC, case-folded, single spaces), so
``%`` and ``_`` are ordinary characters and "MYS" finds "Mysore".
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.practitioners.models import Modality, Practitioner
from klearkarma.practitioners.service import public
from klearkarma.search.cache import SUGGEST_VERSION_KEY
from klearkarma.search.models import SearchSuggestion
from klearkarma.search.schemas import Suggestion

MAX_PREFIX_CHARS = 60
MAX_AGE_SECONDS = 300.0
_TOP = "\U0010ffff"
_ORDER = {"modality": 0, "city": 1, "service": 2, "practitioner": 3}


def normalise(prefix: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", prefix).casefold().split())[:MAX_PREFIX_CHARS]


@dataclass(frozen=True, slots=True)
class _Sorted:
    """Suggestions sorted by their normalised text, each with a weight (how many use it)."""

    keys: list[str]
    items: list[tuple[Suggestion, int]]

    @classmethod
    def of(cls, entries: list[tuple[str, Suggestion, int]]) -> _Sorted:
        entries.sort(key=lambda entry: entry[0])
        return cls([key for key, _, _ in entries], [(s, w) for _, s, w in entries])

    def starting(self, prefix: str) -> list[tuple[Suggestion, int]]:
        low = bisect_left(self.keys, prefix)
        high = bisect_left(self.keys, prefix + _TOP, low)
        return self.items[low:high]

    def first(self, prefix: str, count: int) -> list[tuple[Suggestion, int]]:
        low = bisect_left(self.keys, prefix)
        return [
            item
            for key, item in zip(
                self.keys[low : low + count], self.items[low : low + count], strict=True
            )
            if key.startswith(prefix)
        ]


@dataclass(frozen=True, slots=True)
class SuggestionIndex:
    version: bytes | None
    loaded_at: float
    modalities: list[tuple[str, str, Suggestion]]  # (normalised name, slug, suggestion)
    cities: _Sorted
    services: _Sorted
    names: _Sorted

    def suggest(self, prefix: str, limit: int) -> list[Suggestion]:
        each = max(2, limit)
        modalities = sorted(
            (
                s
                for name, slug, s in self.modalities
                if name.startswith(prefix) or slug.startswith(prefix)
            ),
            key=lambda s: s.text,
        )[:each]
        by_weight = [
            [
                s
                for s, _ in sorted(
                    found.starting(prefix), key=lambda item: (-item[1], item[0].text)
                )[:each]
            ]
            for found in (self.cities, self.services)
        ]
        names = sorted((s for s, _ in self.names.first(prefix, each)), key=lambda s: s.text)
        return _balanced([*modalities, *by_weight[0], *by_weight[1], *names], limit)


async def load(session: AsyncSession, version: bytes | None) -> SuggestionIndex:
    """Read every suggestion source once (about 0.1-0.2 s at 100,000 practitioners)."""
    modalities = [
        (normalise(name), slug, Suggestion(type="modality", text=name, id=slug))
        for name, slug in await session.execute(select(Modality.name, Modality.slug))
    ]
    grouped: dict[str, list[tuple[str, Suggestion, int]]] = {"city": [], "service": []}
    rows = await session.execute(
        select(SearchSuggestion.kind, SearchSuggestion.label, SearchSuggestion.weight)
    )
    for kind, label, weight in rows:
        if kind in grouped:
            grouped[kind].append((normalise(label), Suggestion(type=kind, text=label), weight))
    names = [
        (normalise(name), Suggestion(type="practitioner", text=name, id=key), 0)
        for name, key in await session.execute(
            select(Practitioner.display_name, cast(Practitioner.id, Text)).where(public())
        )
    ]
    return SuggestionIndex(
        version=version,
        loaded_at=time.monotonic(),
        modalities=modalities,
        cities=_Sorted.of(grouped["city"]),
        services=_Sorted.of(grouped["service"]),
        names=_Sorted.of(names),
    )


@dataclass
class SuggestionStore:
    """One process's current ``SuggestionIndex``, reloaded by one request at a time."""

    index: SuggestionIndex | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self, session: AsyncSession, cache: CacheBackend) -> SuggestionIndex:
        version = await cache.get(SUGGEST_VERSION_KEY)
        index = self.index
        if index is not None and _fresh(index, version):
            return index
        async with self.lock:
            index = self.index
            if index is None or not _fresh(index, version):
                index = self.index = await load(session, version)
            return index


def _fresh(index: SuggestionIndex, version: bytes | None) -> bool:
    return index.version == version and time.monotonic() - index.loaded_at < MAX_AGE_SECONDS


async def suggest(
    session: AsyncSession, cache: CacheBackend, store: SuggestionStore, raw_prefix: str, limit: int
) -> list[Suggestion]:
    prefix = normalise(raw_prefix)
    if not prefix:
        return []
    return (await store.current(session, cache)).suggest(prefix, limit)


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
    return sorted(chosen, key=lambda s: _ORDER[s.type])  # stable: keeps each type's order
