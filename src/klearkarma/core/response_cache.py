"""Whole public GET responses kept in each process, dropped by tag in every process at once.

The hottest public reads (a practitioner's free slots, later search results) are the same for
every visitor until something about them changes. A route opts in by tagging its response
(``cache_response(request, "practitioner:<id>")``); the middleware then answers the same path and
query from memory, skipping routing, validation, the session and Redis, while the outer layers
(request id, security headers, gzip, rate limits, logs, metrics) still run.

Correctness rests on invalidation, not on the timeout: a change calls ``invalidate(cache, tag)``
after its commit, which drops the tag in this process immediately and publishes it so every other
process drops it too. The short TTL only bounds the damage of a lost pub/sub message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klearkarma.core.cache import CacheBackend

log = structlog.get_logger("klearkarma.response_cache")

CHANNEL = "response-cache:invalidate"
_TAGS_KEY = "cache_tags"
_CACHES: weakref.WeakSet[ResponseCache] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class _Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    tags: frozenset[str]
    expires: float
    route: object  # the matched route, so logs and metrics name a hit like a miss


class ResponseCache:
    """A bounded LRU of finished responses with a per-tag index."""

    def __init__(self, *, ttl: float = 5.0, max_entries: int = 5000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}
        self._follower: asyncio.Task[None] | None = None
        _CACHES.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: _Entry) -> None:
        self._remove(key)
        self._entries[key] = entry
        for tag in entry.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        while len(self._entries) > self.max_entries:
            self._remove(next(iter(self._entries)))

    def drop(self, tag: str) -> None:
        for key in self._by_tag.pop(tag, set()):
            self._remove(key)

    def clear(self) -> None:
        self._entries.clear()
        self._by_tag.clear()

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def start_following(self, cache: CacheBackend) -> None:
        """Drop, in the background, whatever other processes invalidate."""
        self._follower = asyncio.create_task(self.follow(cache), name="response-cache-follower")

    async def stop_following(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
            self._follower = None

    async def follow(self, cache: CacheBackend) -> None:
        """Drop what other processes invalidate, for as long as the task runs; reconnects."""
        while True:
            try:
                async with cache.subscribe(CHANNEL) as messages:
                    self.clear()  # anything published while we were away is unknown
                    async for tag in messages:
                        self.drop(tag.decode())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("response_cache.subscription_lost", exc_info=True)
                self.clear()
                await asyncio.sleep(1)


async def invalidate(cache: CacheBackend, *tags: str) -> None:
    """Forget cached responses carrying any of ``tags``, here at once and elsewhere via pub/sub."""
    for local in list(_CACHES):
        for tag in tags:
            local.drop(tag)
    for tag in tags:
        await cache.publish(CHANNEL, tag.encode())


def cache_response(request: Request, *tags: str) -> None:
    """Mark this response as public and identical for every caller until ``tags`` change."""
    request.state.cache_tags = frozenset(tags)


class ResponseCacheMiddleware:
    """Serves tagged GET responses from the process's ``ResponseCache``."""

    def __init__(self, app: ASGIApp, *, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        entry = self.cache.get(key)
        if entry is not None:
            scope["route"] = entry.route
            await send(
                # a fresh list: the outer layers add their headers to it in place
                {"type": "http.response.start", "status": entry.status, "headers": [*entry.headers]}
            )
            await send({"type": "http.response.body", "body": entry.body})
            return

        start: Message | None = None
        tags: frozenset[str] = frozenset()
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start, tags
            if message["type"] == "http.response.start":
                # The route tags its answer before it starts sending; untagged or non-200
                # answers pass straight through without being collected. The headers are
                # copied now, before the outer layers (gzip, edge) add theirs to the message.
                if message["status"] == 200:
                    tags = scope.get("state", {}).get(_TAGS_KEY, frozenset())
                    start = {**message, "headers": list(message.get("headers", ()))}
            elif message["type"] == "http.response.body" and start is not None and tags:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._remember(key, scope, start, tags, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _remember(
        self, key: str, scope: Scope, start: Message, tags: frozenset[str], body: bytes
    ) -> None:
        kept = [
            (name, value)
            for name, value in start.get("headers", ())
            if name.lower() not in (b"set-cookie", b"content-length")
        ]
        headers = (*kept, (b"content-length", str(len(body)).encode()))
        self.cache.put(
            key,
            _Entry(
                status=200,
                headers=headers,
                body=body,
                tags=tags,
                expires=time.monotonic() + self.cache.ttl,
                route=scope.get("route"),
            ),
        )
