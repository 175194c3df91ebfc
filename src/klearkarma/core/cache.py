"""Cache, rate-limit counters and pub/sub behind one small interface.

``RedisBackend`` is what several processes share; ``MemoryBackend`` is the same contract for a
single process with nothing else running. Keys are namespaced by a prefix so that tests and
tenants sharing a Redis never see each other's keys.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, cast

import redis.asyncio as aioredis


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after: float  # seconds until a request would be allowed; 0 when allowed


class CacheBackend(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def get_many(self, *keys: str) -> list[bytes | None]:
        """Several values in one round trip, in the order asked."""
        ...

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter that expires ``ttl`` seconds after its first increment."""
        ...

    async def hit(self, key: str, limit: int, window: float) -> RateDecision:
        """Count one request against a sliding window of ``window`` seconds."""
        ...

    async def publish(self, channel: str, message: bytes) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """An async context manager yielding the messages published on ``channel``."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryBackend:
    """In-process implementation: correct for one process, shared with nobody."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._values: dict[str, tuple[bytes, float | None]] = {}
        self._windows: dict[str, deque[float]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = {}

    async def get(self, key: str) -> bytes | None:
        item = self._values.get(self.prefix + key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._values[self.prefix + key]
            return None
        return value

    async def get_many(self, *keys: str) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        expires = time.monotonic() + ttl if ttl is not None else None
        self._values[self.prefix + key] = (value, expires)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(self.prefix + key, None)

    async def incr(self, key: str, ttl: float) -> int:
        current = await self.get(key)
        if current is None:
            await self.set(key, b"1", ttl)
            return 1
        value = int(current) + 1
        _, expires = self._values[self.prefix + key]
        self._values[self.prefix + key] = (str(value).encode(), expires)
        return value

    async def hit(self, key: str, limit: int, window: float) -> RateDecision:
        now = time.monotonic()
        stamps = self._windows.setdefault(self.prefix + key, deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) < limit:
            stamps.append(now)
            return RateDecision(True, limit - len(stamps), 0.0)
        return RateDecision(False, 0, stamps[0] + window - now)

    async def publish(self, channel: str, message: bytes) -> None:
        for queue in list(self._subscribers.get(self.prefix + channel, ())):
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        subscribers = self._subscribers.setdefault(self.prefix + channel, set())
        subscribers.add(queue)

        async def messages() -> AsyncIterator[bytes]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            subscribers.discard(queue)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._values.clear()
        self._windows.clear()


# A sliding-window log kept in a sorted set, evaluated atomically on the server's clock so that
# every process counts against the same window.
_SLIDING_WINDOW = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local member = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_ms)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window_ms)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + window_ms - now}
"""


class RedisBackend:
    """Redis implementation, shared by every process pointed at the same server."""

    def __init__(self, url: str, prefix: str = "") -> None:
        self.prefix = prefix
        self.client: aioredis.Redis = aioredis.Redis.from_url(url)
        self._window_script = self.client.register_script(_SLIDING_WINDOW)

    async def get(self, key: str) -> bytes | None:
        return cast("bytes | None", await self.client.get(self.prefix + key))

    async def get_many(self, *keys: str) -> list[bytes | None]:
        return cast("list[bytes | None]", await self.client.mget([self.prefix + k for k in keys]))

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        await self.client.set(self.prefix + key, value, px=int(ttl * 1000) if ttl else None)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.client.delete(*(self.prefix + key for key in keys))

    async def incr(self, key: str, ttl: float) -> int:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.pexpire(self.prefix + key, int(ttl * 1000), nx=True)
            value, _ = await pipe.execute()
        return int(value)

    async def hit(self, key: str, limit: int, window: float) -> RateDecision:
        allowed, remaining, retry_ms = await self._window_script(
            keys=[self.prefix + key], args=[limit, int(window * 1000), uuid.uuid4().hex]
        )
        return RateDecision(bool(allowed), int(remaining), max(int(retry_ms), 0) / 1000)

    async def publish(self, channel: str, message: bytes) -> None:
        await self.client.publish(self.prefix + channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.prefix + channel)

        async def messages() -> AsyncIterator[bytes]:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    yield message["data"]

        try:
            yield messages()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def close(self) -> None:
        await self.client.aclose()


def cache_backend(redis_url: str | None, prefix: str) -> CacheBackend:
    """Redis when a URL is configured, the in-process backend otherwise."""
    if redis_url:
        return RedisBackend(redis_url, prefix)
    return MemoryBackend(prefix)
