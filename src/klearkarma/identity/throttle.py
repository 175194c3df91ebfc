"""Brute-force protection for credential checks: growing delays, then a temporary lockout.

Counters are keyed by the normalised email whether or not an account exists, so the answers for
known and unknown addresses stay identical. Per-IP counters stop one address spraying many
accounts. State lives in the cache backend (Redis when several replicas share it).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time

from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import RateLimited

FAILURE_WINDOW_SECONDS = 15 * 60
ACCOUNT_FREE_FAILURES = 5  # then the account locks: 1 min, doubling up to an hour
IP_FREE_FAILURES = 30
BASE_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 3600
DELAY_AFTER_FAILURES = 2  # from the third failure on, answers slow down: 0.25 s, 0.5 s, … 2 s
MAX_DELAY_SECONDS = 2.0


def _digest(value: str) -> str:
    # Keys carry a digest, not the address itself, so a Redis dump holds no emails.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def lock_seconds(failures: int, free: int) -> int:
    if failures < free:
        return 0
    return int(min(BASE_LOCK_SECONDS * 2 ** (failures - free), MAX_LOCK_SECONDS))


def delay_seconds(failures: int) -> float:
    if failures <= DELAY_AFTER_FAILURES:
        return 0.0
    return float(min(0.25 * 2 ** (failures - DELAY_AFTER_FAILURES - 1), MAX_DELAY_SECONDS))


class LoginThrottle:
    def __init__(self, cache: CacheBackend, scope: str = "login") -> None:
        self.cache = cache
        self.scope = scope

    def _keys(self, email: str, ip: str) -> dict[str, str]:
        return {
            "account": f"bf:{self.scope}:acct:{_digest(email.strip().lower())}",
            "ip": f"bf:{self.scope}:ip:{ip}",
        }

    async def check(self, email: str, ip: str) -> None:
        """Refuse while the account or the address is locked out."""
        now = time.time()
        for key in self._keys(email, ip).values():
            until = await self.cache.get(f"{key}:lock")
            if until is not None and float(until) > now:
                retry = max(1, math.ceil(float(until) - now))
                raise RateLimited(
                    f"Too many failed attempts. Try again in {retry} seconds.",
                    headers={"Retry-After": str(retry)},
                )

    async def failed(self, email: str, ip: str) -> bool:
        """Count a failure, lock when over the budget, slow the answer; True if now locked."""
        keys = self._keys(email, ip)
        account = await self.cache.incr(keys["account"], FAILURE_WINDOW_SECONDS)
        by_ip = await self.cache.incr(keys["ip"], FAILURE_WINDOW_SECONDS)
        locked = False
        for key, count, free in (
            (keys["account"], account, ACCOUNT_FREE_FAILURES),
            (keys["ip"], by_ip, IP_FREE_FAILURES),
        ):
            seconds = lock_seconds(count, free)
            if seconds:
                locked = True
                await self.cache.set(f"{key}:lock", str(time.time() + seconds).encode(), seconds)
        await asyncio.sleep(delay_seconds(account))
        return locked

    async def succeeded(self, email: str, ip: str) -> None:
        await self.cache.delete(self._keys(email, ip)["account"])
