"""Sliding-window rate limits per client IP and per user, for each class of route.

Counters live in the cache backend, so with Redis every replica shares one budget per client.
The user is whoever the registered principal resolver says the bearer token belongs to.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klearkarma.config import Settings, parse_rate
from klearkarma.core.http import error_response
from klearkarma.core.metrics import RATE_LIMITED

PrincipalResolver = Callable[[Scope], Awaitable[str | None]]

# Payment webhooks come from a few processor IPs in bursts and are retried when refused: a 429
# would only delay confirmations. Each is signature-checked before any work instead.
_EXEMPT_PREFIXES = (
    "/v1/health",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/static/",
    "/favicon",
    "/v1/payments/webhooks/",
)


# The web app's credential forms spend the same tight budget as /v1/auth (a POST to any of them
# checks a password, a code or a token, or sends an email).
_CREDENTIAL_PAGES = frozenset(
    {"/login", "/login/otp", "/signup", "/forgot-password", "/reset-password", "/verify-email"}
)


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    window: float


def limits_from(settings: Settings) -> dict[str, Limit]:
    return {
        name: Limit(*parse_rate(getattr(settings, f"rate_limit_{name}")))
        for name in ("auth", "write", "read")
    }


def route_class(method: str, path: str) -> str | None:
    """Which budget a request spends: credential endpoints are the tightest."""
    if path.startswith(_EXEMPT_PREFIXES) or method == "OPTIONS":
        return None
    if path.startswith("/v1/auth/") or (method == "POST" and path in _CREDENTIAL_PAGES):
        return "auth"
    if method in ("GET", "HEAD"):
        return "read"
    return "write"


async def _anonymous(_: Scope) -> str | None:
    return None


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: dict[str, Limit],
        principal: PrincipalResolver = _anonymous,
    ) -> None:
        self.app = app
        self.limits = limits
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name = route_class(scope["method"], scope["path"])
        if name is None:
            await self.app(scope, receive, send)
            return
        limit = self.limits[name]
        cache = scope["app"].state.platform.cache
        client = scope.get("client")
        keys = [f"rl:{name}:ip:{client[0] if client else 'unknown'}"]
        user_id = await self.principal(scope)
        if user_id:
            keys.append(f"rl:{name}:user:{user_id}")
        decisions = [await cache.hit(key, limit.requests, limit.window) for key in keys]
        refused = [d for d in decisions if not d.allowed]
        if refused:
            RATE_LIMITED.labels(route_class=name).inc()
            retry_after = max(1, math.ceil(max(d.retry_after for d in refused)))
            response = error_response(
                429,
                "RATE_LIMITED",
                f"Too many requests. Retry after {retry_after} seconds.",
                headers={"Retry-After": str(retry_after), "X-RateLimit-Limit": str(limit.requests)},
            )
            await response(scope, receive, send)
            return
        remaining = min(d.remaining for d in decisions)

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-RateLimit-Limit"] = str(limit.requests)
                headers["X-RateLimit-Remaining"] = str(remaining)
            await send(message)

        await self.app(scope, receive, send_with_budget)
