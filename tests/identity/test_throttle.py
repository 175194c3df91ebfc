"""Lockout arithmetic and the shared counters behind it."""

from __future__ import annotations

import pytest

from klearkarma.core.cache import MemoryBackend
from klearkarma.core.errors import RateLimited
from klearkarma.identity.throttle import LoginThrottle, delay_seconds, lock_seconds


def test_locks_grow_from_one_minute_to_an_hour() -> None:
    assert [lock_seconds(n, 5) for n in (4, 5, 6, 7, 12, 30)] == [0, 60, 120, 240, 3600, 3600]


def test_delays_grow_then_cap() -> None:
    assert [delay_seconds(n) for n in (1, 2, 3, 4, 5, 6, 9)] == [0, 0, 0.25, 0.5, 1.0, 2.0, 2.0]


async def test_success_resets_the_account_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("klearkarma.identity.throttle.delay_seconds", lambda _: 0.0)
    throttle = LoginThrottle(MemoryBackend())
    for _ in range(4):
        assert await throttle.failed("a@example.com", "10.1.1.1") is False
    await throttle.succeeded("a@example.com", "10.1.1.1")
    for _ in range(4):
        assert await throttle.failed("a@example.com", "10.1.1.1") is False
    await throttle.check("a@example.com", "10.1.1.1")  # not locked

    assert await throttle.failed("a@example.com", "10.1.1.1") is True
    with pytest.raises(RateLimited) as locked:
        await throttle.check("A@Example.com ", "10.9.9.9")  # same account, any address
    assert locked.value.headers["Retry-After"] == "60"


async def test_one_address_spraying_many_accounts_is_locked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("klearkarma.identity.throttle.delay_seconds", lambda _: 0.0)
    throttle = LoginThrottle(MemoryBackend())
    for index in range(30):
        await throttle.failed(f"victim{index}@example.com", "10.6.6.6")

    with pytest.raises(RateLimited):
        await throttle.check("someone-else@example.com", "10.6.6.6")
    await throttle.check("someone-else@example.com", "10.7.7.7")
