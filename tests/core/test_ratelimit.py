"""Rate limits: per IP and per user, per route class, answered with 429 and Retry-After."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Scope

from klearkarma.core.ratelimit import Limit, RateLimitMiddleware, route_class
from klearkarma.platform import Platform
from tests.conftest import client_for


def test_route_classes() -> None:
    assert route_class("POST", "/v1/auth/login") == "auth"
    assert route_class("GET", "/v1/auth/2fa/setup") == "auth"
    assert route_class("GET", "/v1/practitioners") == "read"
    assert route_class("POST", "/v1/bookings") == "write"
    assert route_class("DELETE", "/v1/bookings/1") == "write"
    assert route_class("GET", "/v1/health") is None
    assert route_class("POST", "/login") == "auth"  # the web app's credential forms
    assert route_class("POST", "/forgot-password") == "auth"
    assert route_class("GET", "/login") == "read"
    assert route_class("GET", "/metrics") is None
    assert route_class("OPTIONS", "/v1/bookings") is None
    assert route_class("POST", "/v1/payments/webhooks/stripe") is None
    assert route_class("POST", "/v1/payments/confirm") == "write"


async def test_read_budget_per_ip_then_429(platform: Platform) -> None:
    platform.settings = platform.settings.model_copy(update={"rate_limit_read": "3/60"})
    async with client_for(platform) as http:
        answers = [await http.get("/v1/services/categories") for _ in range(4)]
        health = await http.get("/v1/health")

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers.get("x-ratelimit-remaining") for r in answers[:3]] == ["2", "1", "0"]
    refused = answers[3]
    body = refused.json()
    assert body["success"] is False
    assert body["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-request-id"] == body["meta"]["requestId"]
    assert health.status_code == 200  # health checks are never limited


async def test_classes_have_separate_budgets(platform: Platform) -> None:
    platform.settings = platform.settings.model_copy(
        update={"rate_limit_read": "2/60", "rate_limit_write": "1/60"}
    )
    async with client_for(platform) as http:
        reads = [await http.get("/v1/practitioners") for _ in range(2)]
        writes = [await http.post("/v1/anything", json={}) for _ in range(2)]

    assert [r.status_code for r in reads] == [200, 200]
    assert [r.status_code for r in writes] == [404, 429]


async def test_disabled_limits_never_refuse(platform: Platform) -> None:
    platform.settings = platform.settings.model_copy(
        update={"rate_limit_read": "1/60", "rate_limit_enabled": False}
    )
    async with client_for(platform) as http:
        statuses = {(await http.get("/v1/practitioners")).status_code for _ in range(3)}
    assert statuses == {200}


async def test_budget_is_shared_by_replicas_through_redis(
    platform: Platform, redis_url: str
) -> None:
    from tests.conftest import delete_prefix, make_cache

    shared = make_cache("redis", redis_url)
    platform.settings = platform.settings.model_copy(update={"rate_limit_read": "3/60"})
    platform.cache = shared
    try:
        async with client_for(platform) as first, client_for(platform) as second:
            statuses = [
                (await first.get("/v1/practitioners")).status_code,
                (await second.get("/v1/practitioners")).status_code,
                (await first.get("/v1/practitioners")).status_code,
                (await second.get("/v1/practitioners")).status_code,
            ]
    finally:
        await delete_prefix(shared, shared.prefix)  # type: ignore[attr-defined]
        await shared.close()
    assert statuses == [200, 200, 200, 429]


async def _from_header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-test-user":
            return str(value.decode())
    return None


def per_user_app(platform: Platform, limit: Limit) -> Starlette:
    """A bare app behind the middleware, with a principal taken from a test header."""

    async def ok(_: object) -> JSONResponse:
        return JSONResponse({"success": True})

    app = Starlette(
        routes=[Route("/v1/things", ok)],
        middleware=[
            Middleware(RateLimitMiddleware, limits={"read": limit}, principal=_from_header)
        ],
    )
    app.state.platform = platform
    return app


async def _get(app: Starlette, ip: str, user: str | None) -> int:
    transport = httpx.ASGITransport(app=app, client=(ip, 1234))
    headers = {"x-test-user": user} if user else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return (await http.get("/v1/things", headers=headers)).status_code


async def test_user_budget_applies_across_ips(platform: Platform) -> None:
    app = per_user_app(platform, Limit(2, 60))

    bob = [await _get(app, ip, "bob") for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")]
    carol = await _get(app, "10.0.0.3", "carol")
    anonymous = await _get(app, "10.0.0.4", None)

    assert bob == [200, 200, 429]  # one user, three addresses, one budget
    assert carol == 200  # another user on bob's last address still has her own budget
    assert anonymous == 200


async def test_ip_budget_applies_across_users(platform: Platform) -> None:
    app = per_user_app(platform, Limit(2, 60))

    statuses = [await _get(app, "10.0.1.1", user) for user in ("u1", "u2", "u3")]

    assert statuses == [200, 200, 429]  # three users behind one address share its budget
