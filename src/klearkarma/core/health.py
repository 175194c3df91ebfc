"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import hmac
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from klearkarma import __version__
from klearkarma.core.errors import ServiceUnavailable, Unauthorized
from klearkarma.core.metrics import JOB_QUEUE, REGISTRY
from klearkarma.core.schemas import ApiModel, Envelope, ok
from klearkarma.platform import Platform, platform_of

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_SECONDS = 2.0


class Liveness(ApiModel):
    status: str
    version: str
    environment: str


class Readiness(ApiModel):
    status: str
    checks: dict[str, dict[str, Any]]


class Index(ApiModel):
    name: str
    version: str
    links: dict[str, str]


async def index() -> Envelope[Index]:
    """Where to go from the bare address, for API clients; browsers get the web app's home page
    at ``/`` (``web.pages.home`` answers with this when the client does not ask for HTML)."""
    return ok(
        Index(
            name="Klear Karma API",
            version=__version__,
            links={
                "docs": "/docs",
                "openapi": "/openapi.json",
                "health": "/v1/health",
                "practitioners": "/v1/practitioners",
                "services": "/v1/services",
                "categories": "/v1/services/categories",
            },
        )
    )


@router.get("/v1/health", response_model=Envelope[Liveness])
async def health(request: Request) -> Envelope[Liveness]:
    """The process is up and serving (no dependency is touched)."""
    settings = platform_of(request).settings
    return ok(Liveness(status="ok", version=__version__, environment=settings.env))


async def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure of a dependency makes the replica not ready
        return {"ok": False, "error": type(exc).__name__}
    result = {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}
    result.update(detail or {})
    return result


async def _database(platform: Platform) -> dict[str, Any]:
    """The primary through the session pool, and the read pool search runs on (which may be a
    replica, ``KLEARKARMA_READS_DATABASE_URL``): search is down when either is."""
    async with platform.db.session_factory() as session:
        await session.execute(text("SELECT 1"))
    await platform.db.read("SELECT 1")
    return {}


async def _cache(platform: Platform) -> dict[str, Any]:
    if not await platform.cache.ping():
        raise ConnectionError("cache did not answer")
    return {"backend": type(platform.cache).__name__}


async def _queue(platform: Platform) -> dict[str, Any]:
    async with platform.db.session_factory() as session:
        backlog = await session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
        )
    return {"backlog": int(backlog or 0), "inProcessWorker": platform.worker is not None}


@router.get("/v1/health/ready", response_model=Envelope[Readiness])
async def ready(request: Request) -> Envelope[Readiness]:
    """Ready to take traffic: the database, the cache and the job queue all answer."""
    platform = platform_of(request)
    # Sequential on purpose: three round-trips of a millisecond, and no second pool connection.
    checks = {
        "database": await _timed(_database(platform)),
        "cache": await _timed(_cache(platform)),
        "queue": await _timed(_queue(platform)),
    }
    if not all(check["ok"] for check in checks.values()):
        raise ServiceUnavailable("A dependency is not available.", details=checks)
    return ok(Readiness(status="ready", checks=checks))


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus exposition; protected by a bearer token when KLEARKARMA_METRICS_TOKEN is set."""
    platform = platform_of(request)
    token = platform.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Unauthorized("A valid metrics token is required.")
    async with platform.db.session_factory() as session:
        rows = await session.execute(
            text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
        )
        counts = {status: int(count) for status, count in rows}
    for status in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
        JOB_QUEUE.labels(status=status).set(counts.get(status, 0))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
