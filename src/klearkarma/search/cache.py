"""Cached search answers and the one function every change that affects them calls.

Answers are keyed by a global ``search-version`` counter: a change bumps it (after its commit), and
every cached answer becomes unreachable at once, in every process, without listing keys. Search
results mix many practitioners, so a per-practitioner version (as free slots use) would not tell
which answers a change touches; a global one is coarse but always right. The in-process response
cache is dropped through the ``search`` tag at the same moment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

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
        await cache.incr(VERSION_KEY, ttl=_VERSION_TTL)
        if suggestions:
            await cache.incr(SUGGEST_VERSION_KEY, ttl=_VERSION_TTL)
        await invalidate(cache, SEARCH_TAG)

    after_commit(session, forget)


async def key_for(cache: CacheBackend, endpoint: str, params: Mapping[str, object]) -> str:
    """The cache key of one answer: the endpoint, its normalised parameters, the version."""
    version = (await cache.get(VERSION_KEY) or b"0").decode()
    canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
    return f"search:{version}:{endpoint}:{digest}"
