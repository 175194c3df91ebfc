"""Both cache back ends honour one contract; Redis shares state between processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from klearkarma.core.cache import CacheBackend, MemoryBackend, RedisBackend, cache_backend
from tests.conftest import delete_prefix, make_cache


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[CacheBackend]:
    made = make_cache(request.param, redis_url)
    yield made
    await delete_prefix(made, getattr(made, "prefix", ""))
    await made.close()


async def test_set_get_delete(backend: CacheBackend) -> None:
    assert await backend.get("k") is None

    await backend.set("k", b"v1")
    await backend.set("other", b"v2")
    assert await backend.get("k") == b"v1"

    await backend.delete("k", "missing")
    assert await backend.get("k") is None
    assert await backend.get("other") == b"v2"


async def test_get_many_reads_several_keys_in_order(backend: CacheBackend) -> None:
    await backend.set("a", b"1")
    await backend.set("c", b"3")

    assert await backend.get_many("c", "b", "a") == [b"3", None, b"1"]


async def test_values_expire(backend: CacheBackend) -> None:
    await backend.set("short", b"x", ttl=0.2)
    assert await backend.get("short") == b"x"

    await asyncio.sleep(0.35)

    assert await backend.get("short") is None


async def test_sliding_window_allows_limit_then_refuses(backend: CacheBackend) -> None:
    decisions = [await backend.hit("rl", limit=3, window=0.5) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert 0 < decisions[3].retry_after <= 0.5
    assert decisions[0].retry_after == 0


async def test_sliding_window_frees_capacity_as_hits_age(backend: CacheBackend) -> None:
    for _ in range(2):
        assert (await backend.hit("slide", limit=2, window=0.4)).allowed
    assert not (await backend.hit("slide", limit=2, window=0.4)).allowed

    await asyncio.sleep(0.45)

    assert (await backend.hit("slide", limit=2, window=0.4)).allowed


async def test_refused_hits_do_not_extend_the_window(backend: CacheBackend) -> None:
    assert (await backend.hit("w", limit=1, window=0.3)).allowed
    for _ in range(5):
        assert not (await backend.hit("w", limit=1, window=0.3)).allowed

    await asyncio.sleep(0.35)

    assert (await backend.hit("w", limit=1, window=0.3)).allowed


async def test_publish_reaches_subscribers(backend: CacheBackend) -> None:
    async with backend.subscribe("room") as messages:
        await asyncio.sleep(0.05)  # let a Redis subscription settle
        await backend.publish("room", b"hello")
        await backend.publish("elsewhere", b"not for us")
        await backend.publish("room", b"again")
        received = [
            await asyncio.wait_for(anext(messages), 2),
            await asyncio.wait_for(anext(messages), 2),
        ]

    assert received == [b"hello", b"again"]


async def test_ping(backend: CacheBackend) -> None:
    assert await backend.ping() is True


async def test_prefixes_isolate_tenants(redis_url: str) -> None:
    first, second = RedisBackend(redis_url, "kk-t1:"), RedisBackend(redis_url, "kk-t2:")
    try:
        await first.set("shared-name", b"1")
        assert await second.get("shared-name") is None
    finally:
        await delete_prefix(first, "kk-t1:")
        await first.close()
        await second.close()


async def test_redis_counters_are_shared_between_processes(redis_url: str) -> None:
    # Two clients stand for two replicas: one budget.
    first = RedisBackend(redis_url, "kk-shared-test:")
    second = RedisBackend(redis_url, "kk-shared-test:")
    try:
        assert (await first.hit("ip:1", limit=2, window=5)).allowed
        assert (await second.hit("ip:1", limit=2, window=5)).allowed
        assert not (await first.hit("ip:1", limit=2, window=5)).allowed
        assert not (await second.hit("ip:1", limit=2, window=5)).allowed
    finally:
        await delete_prefix(first, "kk-shared-test:")
        await first.close()
        await second.close()


async def test_memory_backends_do_not_share() -> None:
    first, second = MemoryBackend(), MemoryBackend()
    assert (await first.hit("k", limit=1, window=5)).allowed
    assert (await second.hit("k", limit=1, window=5)).allowed


def test_backend_follows_configuration(redis_url: str) -> None:
    assert isinstance(cache_backend(None, "p:"), MemoryBackend)
    assert isinstance(cache_backend(redis_url, "p:"), RedisBackend)
