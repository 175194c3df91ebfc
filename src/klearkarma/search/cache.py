"""Cached search answers and the one function every change that affects them calls.

Answers are kept with the global ``search-version`` counter they were computed under: a change
bumps it (after its commit), and every cached answer becomes stale at once, in every process,
without listing keys (a reader compares the two, which it fetches in one round trip). Search
results mix many practitioners, so a per-practitioner version (as free slots use) would not tell
which answers a change touches; a global one is coarse but always right. The in-process response
cache is dropped through the ``search`` tag at the same moment.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import after_commit
from klearkarma.core.response_cache import invalidate

VERSION_KEY = "search-version"
# Moves only with changes that can add, rename or hide a suggestion (see suggestions.py).
SUGGEST_VERSION_KEY = "search-suggest-version"
SEARCH_TAG = "search"
CACHE_SECONDS = 120
_VERSION_TTL = 90 * 24 * 3600


def changed(session: AsyncSession, cache: CacheBackend, *, suggestions: bool = True) -> None:
    """Forget every cached search answer once ``session`` commits.

    Call it from any use case that changes what search shows: a profile edit, a service added,
    changed or retired, a verification decision, a suspension, an erasure, a rating, a completed
    session. ``suggestions=False`` (ratings, session counts) leaves the processes' suggestion
    lists alone: nothing they hold changed.
    """

    async def forget() -> None:
        global _local_changes
        await cache.incr(VERSION_KEY, ttl=_VERSION_TTL)
        if suggestions:
            await cache.incr(SUGGEST_VERSION_KEY, ttl=_VERSION_TTL)
            _local_changes += 1
        await invalidate(cache, SEARCH_TAG)

    after_commit(session, forget)


_local_changes = 0

# A process's in-memory copies (suggestion lists, the spelling vocabulary) are loaded again after
# this long even if the shared version did not move: a safety net for changes made behind the
# application's back.
SNAPSHOT_MAX_AGE_SECONDS = 300.0


class Snapshot(Protocol):
    """An in-memory copy of search data: the shared version it was loaded under, and when."""

    @property
    def version(self) -> bytes | None: ...

    @property
    def loaded_at(self) -> float: ...


def snapshot_fresh(snapshot: Snapshot, version: bytes | None) -> bool:
    """Whether ``snapshot`` may still be used: loaded under ``version`` and not too long ago."""
    return (
        snapshot.version == version
        and time.monotonic() - snapshot.loaded_at < SNAPSHOT_MAX_AGE_SECONDS
    )


def local_changes() -> int:
    """How many suggestion-moving changes this process has committed: its in-memory lists
    reload at once after its own change, without waiting to read the shared version."""
    return _local_changes


def key_for(endpoint: str, params: Mapping[str, object]) -> str:
    """The cache key of one answer: the endpoint and its normalised parameters.

    The search version is not part of the key but of the stored value (``stored``/``fresh``), so
    the version and the answer are read in one round trip (``CacheBackend.get_many``).
    """
    canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
    return f"search:{endpoint}:{digest}"


def stored(version: bytes | None, answer: bytes) -> bytes:
    """What to keep for an answer computed under ``version``."""
    return (version or b"0") + b"\n" + answer


def fresh(version: bytes | None, kept: bytes | None) -> bytes | None:
    """The answer in ``kept`` if it was computed under the current ``version``, else None."""
    if kept is None:
        return None
    kept_version, _, answer = kept.partition(b"\n")
    return answer if kept_version == (version or b"0") else None
