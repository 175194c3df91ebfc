"""Prefix completion: modalities, cities, service names and practitioner names, from memory.

Suggestions are asked for on every keystroke, so each process keeps them in sorted lists and
answers a prefix with ``bisect`` (no SQL, no round trip to the database). The lists are loaded
from the database — modalities, the trigger-kept ``search_suggestions`` (cities and service names
with how many public practitioners or services use them) and the names of public practitioners —
and loaded again when the shared ``search-suggest-version`` moves (``search.cache.changed`` moves
it after any change that can add, rename or hide one: profile and service edits, verification,
suspension, erasure, the hourly refresh), or after ``search.cache.SNAPSHOT_MAX_AGE_SECONDS`` as a
safety net for changes made behind the application's back. Ratings and session counts do not
move it.

Matching is on the same normalised form on both sides (NFKC, case-folded, single spaces), so
``%`` and ``_`` are ordinary characters and "MYS" finds "Mysore".
"""

from __future__ import annotations

import asyncio
import math
import time
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, literal, select

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.core.prepared import for_driver
from klearkarma.practitioners.models import Modality, Practitioner
from klearkarma.practitioners.service import public
from klearkarma.search.cache import (
    SNAPSHOT_MAX_AGE_SECONDS,
    SUGGEST_VERSION_KEY,
    local_changes,
    snapshot_fresh,
)
from klearkarma.search.models import SearchSuggestion
from klearkarma.search.schemas import Suggestion

MAX_PREFIX_CHARS = 60
_TOP = "\U0010ffff"
_ORDER = {"modality": 0, "city": 1, "service": 2, "practitioner": 3}


def normalise(prefix: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", prefix).casefold().split())[:MAX_PREFIX_CHARS]


@dataclass(frozen=True, slots=True)
class _Sorted:
    """One type of suggestion sorted by normalised text, in parallel tuples of plain strings and
    ints. The collector stops tracking a tuple of strings, so 100,000 names cost a full
    collection nothing (a list, or an object per name, would be walked every time)."""

    kind: str
    keys: tuple[str, ...]
    texts: tuple[str, ...]
    ids: tuple[str | None, ...]
    weights: tuple[int, ...]

    @classmethod
    def of(cls, kind: str, rows: list[tuple[str, str | None, int]]) -> _Sorted:
        entries = sorted((normalise(text), text, key, weight) for text, key, weight in rows)
        return cls(
            kind,
            tuple(e[0] for e in entries),
            tuple(e[1] for e in entries),
            tuple(e[2] for e in entries),
            tuple(e[3] for e in entries),
        )

    def _range(self, prefix: str, count: int | None = None) -> range:
        low = bisect_left(self.keys, prefix)
        if count is None:
            return range(low, bisect_left(self.keys, prefix + _TOP, low))
        return range(low, min(low + count, len(self.keys)))

    def heaviest(self, prefix: str, count: int) -> list[Suggestion]:
        """Up to ``count`` with the prefix, most used first, then alphabetical."""
        found = sorted(self._range(prefix), key=lambda i: (-self.weights[i], self.texts[i]))
        return [self._suggestion(i) for i in found[:count]]

    def first(self, prefix: str, count: int) -> list[Suggestion]:
        """The first ``count`` with the prefix in key order, then alphabetical by text."""
        found = [i for i in self._range(prefix, count) if self.keys[i].startswith(prefix)]
        return sorted((self._suggestion(i) for i in found), key=lambda s: s.text)

    def _suggestion(self, index: int) -> Suggestion:
        return Suggestion(type=self.kind, text=self.texts[index], id=self.ids[index])


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
                for key, slug, s in self.modalities
                if key.startswith(prefix) or slug.startswith(prefix)
            ),
            key=lambda s: s.text,
        )[:each]
        return _balanced(
            [
                *modalities,
                *self.cities.heaviest(prefix, each),
                *self.services.heaviest(prefix, each),
                *self.names.first(prefix, each),
            ],
            limit,
        )


_MODALITIES = for_driver(select(Modality.name, Modality.slug))
_KINDS = for_driver(select(SearchSuggestion.kind, SearchSuggestion.label, SearchSuggestion.weight))
_NAMES = for_driver(
    select(Practitioner.display_name, cast(Practitioner.id, Text), literal(0)).where(public())
)


async def load(db: Database, version: bytes | None) -> SuggestionIndex:
    """Read every suggestion source once (about 0.1-0.5 s at 100,000 practitioners)."""
    modality_rows = await db.read_all(_MODALITIES.sql, *_MODALITIES.args({}))
    kind_rows = await db.read_all(_KINDS.sql, *_KINDS.args({}))
    name_rows = await db.read_all(_NAMES.sql, *_NAMES.args({}))
    modalities = [
        (normalise(name), slug, Suggestion(type="modality", text=name, id=slug))
        for name, slug in modality_rows
    ]
    grouped: dict[str, list[tuple[str, str | None, int]]] = {"city": [], "service": []}
    for kind, label, weight in kind_rows:
        if kind in grouped:
            grouped[kind].append((label, None, weight))
    return SuggestionIndex(
        version=version,
        loaded_at=time.monotonic(),
        modalities=modalities,
        cities=_Sorted.of("city", grouped["city"]),
        services=_Sorted.of("service", grouped["service"]),
        names=_Sorted.of("practitioner", [(name, key, 0) for name, key, _ in name_rows]),
    )


@dataclass
class SuggestionStore:
    """One process's current ``SuggestionIndex``, reloaded by one request at a time.

    The shared version is read at most every ``CHECK_SECONDS`` (a round trip to Redis on every
    keystroke cost more than answering it), and at once after this process changed something
    search shows (``search.cache.changed`` moves ``local_changes``): another process's change
    reaches this one within ``CHECK_SECONDS``, its own immediately.
    """

    CHECK_SECONDS = 0.5

    index: SuggestionIndex | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    checked_at: float = -math.inf
    changes_seen: int = -1

    async def current(self, db: Database, cache: CacheBackend) -> SuggestionIndex:
        index = self.index
        now = time.monotonic()
        changes = local_changes()
        if (
            index is not None
            and now - self.checked_at < self.CHECK_SECONDS
            and changes == self.changes_seen
            and now - index.loaded_at < SNAPSHOT_MAX_AGE_SECONDS
        ):
            return index
        version = await cache.get(SUGGEST_VERSION_KEY)
        self.checked_at, self.changes_seen = now, changes
        if index is not None and snapshot_fresh(index, version):
            return index
        async with self.lock:
            index = self.index
            if index is None or not snapshot_fresh(index, version):
                index = self.index = await load(db, version)
            return index


async def suggest(
    db: Database, cache: CacheBackend, store: SuggestionStore, raw_prefix: str, limit: int
) -> list[Suggestion]:
    prefix = normalise(raw_prefix)
    if not prefix:
        return []
    return (await store.current(db, cache)).suggest(prefix, limit)


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
