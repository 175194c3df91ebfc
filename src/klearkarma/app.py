"""The ASGI application factory: routers, error handling and the middleware stack."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from klearkarma import __version__
from klearkarma.bookings import api as bookings
from klearkarma.config import Settings
from klearkarma.core import health
from klearkarma.core.http import (
    BodyLimitMiddleware,
    EdgeMiddleware,
    install_error_handlers,
    reject_nul_characters,
)
from klearkarma.core.ratelimit import RateLimitMiddleware, limits_from
from klearkarma.core.response_cache import ResponseCache, ResponseCacheMiddleware
from klearkarma.identity import admin_api, users_api
from klearkarma.identity import api as auth
from klearkarma.identity.deps import rate_limit_principal
from klearkarma.notifications import api as dev_outbox
from klearkarma.payments import api as payments
from klearkarma.payments import plans_api, receipts_api
from klearkarma.platform import Platform
from klearkarma.practitioners import admin_api as verification
from klearkarma.practitioners import api as practitioners
from klearkarma.practitioners import manage_api as practitioner_supply
from klearkarma.search import api as search
from klearkarma.search.index_store import IndexStore
from klearkarma.web import install as install_web

DESCRIPTION = (
    "Klear Karma connects seekers with holistic-health practitioners. Every response is the "
    "envelope `{success, data | error, meta}`; see the API contract for codes and shapes."
)


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> FastAPI:
    """Build the app. Given a ``platform`` (tests), it is used as is and never closed here."""
    if settings is None:
        settings = platform.settings if platform is not None else Settings()

    responses = ResponseCache(ttl=settings.response_cache_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if platform is not None:
            responses.start_following(platform.cache)
            try:
                yield
            finally:
                await responses.stop_following()
            return
        from klearkarma.bootstrap import start_platform

        running = await start_platform(settings)
        app.state.platform = running
        responses.start_following(running.cache)
        # Everything built so far (routes, schemas, models, settings) lives as long as the
        # process: keep the collector from walking it in every full collection, which took
        # 160-180 ms with ~275,000 objects and showed as the p95 of cheap requests.
        gc.freeze()
        # The search index loads in the background (seconds at 100,000 practitioners); searches
        # before it is ready wait for it.
        store = app.state.search_index = IndexStore()
        warming = asyncio.create_task(store.warm(running.db))
        try:
            yield
        finally:
            warming.cancel()
            await responses.stop_following()
            await running.close()

    app = FastAPI(
        title="Klear Karma API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        dependencies=[Depends(reject_nul_characters)],
    )
    if platform is not None:
        app.state.platform = platform
    install_error_handlers(app)

    app.include_router(health.router)
    # Routes are matched in order, one pattern at a time: the busiest public read goes first.
    app.include_router(search.router)
    app.include_router(auth.router)
    app.include_router(users_api.router)
    app.include_router(admin_api.router)
    app.include_router(verification.router)
    app.include_router(practitioner_supply.router)  # before the public one: /me beats /{id}
    app.include_router(payments.payouts_router)  # /practitioners/me/earnings, also before
    app.include_router(practitioners.router)
    app.include_router(practitioners.catalog_router)
    app.include_router(bookings.router)
    app.include_router(bookings.feed_router)
    app.include_router(payments.router)
    app.include_router(plans_api.router)
    app.include_router(receipts_api.router)
    if settings.env == "development":
        app.include_router(dev_outbox.router)
        app.include_router(dev_outbox.sms_router)
    install_web(app)  # pages, static files, HTML error pages: before the middleware stack

    # Added innermost first: Edge ends up outermost, so it sees (and stamps) every response.
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_json_bytes,
        upload_limit=settings.max_upload_bytes,
    )
    if settings.response_cache_seconds > 0:
        app.add_middleware(ResponseCacheMiddleware, cache=responses)
    if settings.rate_limit_enabled:
        app.add_middleware(
            RateLimitMiddleware,
            limits=limits_from(settings),
            principal=rate_limit_principal(settings),
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "X-RateLimit-Remaining"],
            max_age=600,
        )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(EdgeMiddleware, production=settings.is_production)
    return app
