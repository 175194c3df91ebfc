"""Loading and refreshing a process's search index (``search.index``) from PostgreSQL.

A full load reads the public practitioners and their documents' posting lists in one snapshot
(2-3 s of database time at 100,000 practitioners, so it runs in the background once the process
has an index). Changes are read by revision: each search first reads the ``search_revision``
sequence (one small statement) and, when it moved, the rows changed since the index's revision.

A change committed out of revision order (a transaction that took its revision before another's
but committed after it) is read by the next change's refresh or, at the latest, by the next full
reload; the page a search shows is re-checked in SQL either way (``service``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence

import asyncpg
import structlog
from starlette.requests import HTTPConnection

from klearkarma.core.db import Database
from klearkarma.search.index import Index, Row, posting_of, term_ranks

log = structlog.get_logger(__name__)

_PUBLIC = "verification_status = 'verified' AND is_active"
_COLUMNS = f"""
    id, {_PUBLIC} AS public, search_quality, (rating * 100)::int AS rating, review_count,
    (hourly_rate * 100)::bigint AS rate, experience_years, offers_online, offers_in_person,
    lat, lng, city, lower(city) AS city_key, specializations, languages"""
# Slots are positions in the order a relevance search takes its candidates (``Index.ordered``).
_SLOT_ORDER = "search_quality DESC, id"
_ROWS = f"SELECT {_COLUMNS} FROM practitioners WHERE {_PUBLIC} ORDER BY {_SLOT_ORDER}"  # noqa: S608
# Both aggregates of a group take its rows in one order, so the n-th slot and the n-th weight
# pattern belong together.
_POSTINGS = f"""
SELECT u.lexeme, string_agg(int4send(d.slot), ''::bytea), string_agg(array_to_string(u.weights, ''), ',')
FROM (
    SELECT (row_number() OVER (ORDER BY {_SLOT_ORDER}) - 1)::int AS slot, search_vector
    FROM practitioners WHERE {_PUBLIC}
) AS d, unnest(d.search_vector) AS u
GROUP BY u.lexeme"""  # noqa: E501, S608 (constants only)
_REVISION = "SELECT coalesce(max(search_revision), 0) FROM practitioners"
_SEQUENCE = "SELECT last_value FROM search_revision"
_CHANGED = f"""
SELECT {_COLUMNS}, search_revision, d.lexemes, d.weights
FROM practitioners
LEFT JOIN LATERAL (
    SELECT array_agg(u.lexeme), array_agg(array_to_string(u.weights, ''))
    FROM unnest(search_vector) AS u
) AS d(lexemes, weights) ON true
WHERE search_revision > $1
ORDER BY search_revision"""  # noqa: S608 (constants only)


def _row(record: asyncpg.Record, with_document: bool = False) -> Row:
    return Row(
        id=record["id"],
        public=record["public"],
        quality=record["search_quality"],
        rating=record["rating"],
        reviews=record["review_count"],
        rate=record["rate"],
        experience=record["experience_years"],
        online=record["offers_online"],
        in_person=record["offers_in_person"],
        lat=record["lat"],
        lng=record["lng"],
        city=record["city"],
        city_key=record["city_key"],
        specializations=tuple(record["specializations"]),
        languages=tuple(record["languages"]),
        lexemes=tuple(record["lexemes"] or ()) if with_document else (),
        weights=tuple(record["weights"] or ()) if with_document else (),
    )


async def load(db: Database) -> Index:
    """The whole index, from one snapshot of the database."""
    async with db.snapshot() as connection:
        revision = await connection.fetchval(_REVISION)
        rows = [_row(r) for r in await connection.fetch(_ROWS)]
        ranks = term_ranks()
        postings = {
            lexeme: posting_of(slots, patterns, ranks)
            for lexeme, slots, patterns in await connection.fetch(_POSTINGS)
        }
    return Index.of(rows, postings, revision)


async def changed_since(db: Database, revision: int) -> tuple[Sequence[Row], int]:
    """The practitioners changed after ``revision`` (hidden ones too: they leave the index),
    and the highest revision among them."""
    records = await db.read_all(_CHANGED, revision)
    if not records:
        return (), revision
    return [_row(r, with_document=True) for r in records], records[-1]["search_revision"]


class IndexStore:
    """One process's index: loaded on first use, refreshed before each search that follows a
    change, and reloaded whole in the background every ``MAX_AGE_SECONDS`` or when a quarter
    of its slots are dead (replaced by changes)."""

    MAX_AGE_SECONDS = 600.0
    MAX_DEAD_SHARE = 0.25

    def __init__(self) -> None:
        self.index: Index | None = None
        self.loaded_at = -math.inf
        self.checked = 0  # the sequence value the index was last brought up to date at
        self.lock = asyncio.Lock()
        self.reloading: asyncio.Task[None] | None = None

    async def current(self, db: Database) -> Index:
        """The index, with every change committed before this call applied."""
        latest = await db.read(_SEQUENCE)
        assert latest is not None
        index = await self.ready(db)
        return await self.caught_up(db, latest[0]) or index

    async def ready(self, db: Database) -> Index:
        """The index as it is (loaded first if this process has none; reloaded whole when due),
        without asking whether anything changed: ``caught_up`` does, given the database's
        revision read beside a search's own statement."""
        if self.index is None:
            async with self.lock:
                if self.index is None:
                    await self._install(await load(db))
        index = self.index
        assert index is not None
        if self._due(index):
            await self._reload(db)
        return self.index or index

    async def caught_up(self, db: Database, latest: int) -> Index | None:
        """When ``latest`` (the ``search_revision`` sequence) is past what the index was last
        brought up to date at: the index with the rows changed since applied; otherwise None."""
        if latest <= self.checked:
            return None
        async with self.lock:
            index = self.index
            assert index is not None
            if latest > self.checked:
                rows, revision = await changed_since(db, index.revision)
                if rows:
                    index = self.index = index.with_rows(rows, revision)
                self.checked = max(self.checked, latest)
        if self._due(index):
            await self._reload(db)
        return self.index or index

    def _due(self, index: Index) -> bool:
        old = time.monotonic() - self.loaded_at > self.MAX_AGE_SECONDS
        return old or index.dead > self.MAX_DEAD_SHARE * max(len(index.ids), 1)

    async def _reload(self, db: Database) -> None:
        if db.single_connection:  # tests: nothing may run beside the request on the connection
            async with self.lock:
                await self._install(await load(db))
            return
        if self.reloading is None or self.reloading.done():
            self.reloading = asyncio.create_task(self._reload_in_background(db))

    async def _reload_in_background(self, db: Database) -> None:
        try:
            fresh = await load(db)
        except Exception:  # the current index keeps serving; the next search tries again
            log.exception("search.index_reload_failed")
            return
        async with self.lock:
            await self._install(fresh)

    async def _install(self, index: Index) -> None:
        self.index = index
        self.loaded_at = time.monotonic()
        self.checked = index.revision  # the next search reads whatever came after

    async def warm(self, db: Database) -> None:
        """Load the index ahead of the first search (a process starting up)."""
        try:
            await self.current(db)
        except Exception:  # the first search will try again
            log.exception("search.index_load_failed")


def index_of(connection: HTTPConnection) -> IndexStore:
    """The serving application's ``IndexStore`` (one per process)."""
    state = connection.app.state
    store: IndexStore | None = getattr(state, "search_index", None)
    if store is None:
        store = state.search_index = IndexStore()
    return store
