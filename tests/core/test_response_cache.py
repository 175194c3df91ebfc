"""The per-process response cache: tagged answers served from memory, dropped on invalidation."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from klearkarma.config import Settings
from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.core.response_cache import CHANNEL, ResponseCache, _Entry
from klearkarma.practitioners.models import AvailabilitySchedule
from klearkarma.practitioners.service import bump_availability
from tests.conftest import make_settings
from tests.practitioners.helpers import verified_with_rules


@pytest.fixture(params=[True, False], ids=["rate-limited", "unlimited"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """Both stacks: the layers around the cache differ when rate limiting is off."""
    return make_settings(tmp_path, database_url, rate_limit_enabled=request.param)


def entry(body: bytes, *tags: str, ttl: float = 60) -> _Entry:
    return _Entry(
        status=200,
        headers=((b"content-type", b"application/json"),),
        body=body,
        tags=frozenset(tags),
        expires=time.monotonic() + ttl,
        route=None,
    )


def test_entries_are_found_by_key_and_dropped_by_tag() -> None:
    cache = ResponseCache()
    cache.put("/a?", entry(b"a", "p:1"))
    cache.put("/b?", entry(b"b", "p:1", "p:2"))
    cache.put("/c?", entry(b"c", "p:3"))

    cache.drop("p:1")

    assert cache.get("/a?") is None
    assert cache.get("/b?") is None
    found = cache.get("/c?")
    assert found is not None
    assert found.body == b"c"


def test_expired_entries_and_the_least_recently_used_go() -> None:
    cache = ResponseCache(max_entries=2)
    cache.put("/old?", entry(b"old", "t", ttl=-1))
    assert cache.get("/old?") is None

    cache.put("/1?", entry(b"1", "t"))
    cache.put("/2?", entry(b"2", "t"))
    assert cache.get("/1?") is not None  # now /2 is the least recently used
    cache.put("/3?", entry(b"3", "t"))

    assert [key for key in ("/1?", "/2?", "/3?") if cache.get(key) is not None] == ["/1?", "/3?"]
    cache.drop("t")
    assert len(cache) == 0


async def test_invalidation_reaches_a_cache_following_another_process(
    cache: CacheBackend,
) -> None:
    follower = ResponseCache()
    follower.start_following(cache)
    await asyncio.sleep(0.2)  # let the subscription settle before publishing
    follower.put("/x?", entry(b"x", "practitioner:9"))
    try:
        # Published the way another process would: not through this process's registry.
        await cache.publish(CHANNEL, b"practitioner:9")
        for _ in range(50):
            if follower.get("/x?") is None:
                break
            await asyncio.sleep(0.02)
        assert follower.get("/x?") is None
    finally:
        await follower.stop_following()


async def test_availability_is_served_from_memory_until_a_change_commits(
    client: httpx.AsyncClient, db: Database, cache: CacheBackend
) -> None:
    _, pid, sid = await verified_with_rules(client, db)
    first_day = (datetime.now(UTC) + timedelta(days=3)).date()
    url = f"/v1/practitioners/{pid}/availability"
    params = {
        "from": first_day.isoformat(),
        "to": (first_day + timedelta(days=6)).isoformat(),
        "serviceId": sid,
        "timezone": "Asia/Kolkata",
    }
    first = await client.get(url, params=params)
    assert len(first.json()["data"]["slots"]) == 21  # big enough to be gzipped on the way out

    # A change that bypasses the services is not seen, even with the shared (Redis) layer's
    # version moved on: the answer is the remembered one, byte for byte, with a fresh request id.
    async with db.transaction() as session:
        await session.execute(
            update(AvailabilitySchedule)
            .where(AvailabilitySchedule.practitioner_id == pid)
            .values(weekly_hours=[])
        )
    await cache.incr(f"avail-version:{pid}", ttl=60)
    again = await client.get(url, params=params, headers={"Accept-Encoding": "gzip"})
    assert again.headers["content-encoding"] == "gzip"
    assert again.content == first.content  # httpx decodes gzip
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    # A client that does not take gzip gets the same remembered answer, plainly encoded.
    plain = await client.get(url, params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == first.content

    # What every committed change does to the practitioner's answers shows the truth.
    async with db.transaction() as session:
        bump_availability(session, cache, uuid.UUID(pid))
    fresh = await client.get(url, params=params)
    assert fresh.json()["data"]["slots"] == []


async def test_a_failed_change_does_not_invalidate(
    client: httpx.AsyncClient, db: Database, cache: CacheBackend
) -> None:
    owner, pid, sid = await verified_with_rules(client, db)
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    url = f"/v1/practitioners/{pid}/availability"
    params = {"from": day, "to": day, "serviceId": sid, "timezone": "Asia/Kolkata"}
    first = await client.get(url, params=params)
    async with db.transaction() as session:
        await session.execute(
            update(AvailabilitySchedule)
            .where(AvailabilitySchedule.practitioner_id == pid)
            .values(weekly_hours=[])
        )

    await cache.incr(f"avail-version:{pid}", ttl=60)
    refused = await client.put(
        url, json={"timezone": "Mars/Base", "weeklyHours": []}, headers=owner
    )
    after = await client.get(url, params=params)

    assert refused.status_code == 422
    assert after.content == first.content  # still the remembered answer: nothing was invalidated
    assert len(after.json()["data"]["slots"]) == 3
