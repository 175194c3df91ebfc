"""The running platform: every shared resource of one process, built once and passed around.

Routes reach it with ``platform_of(request)``; jobs get it as their first argument. Tests build
one around their own database connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from starlette.requests import HTTPConnection

from klearkarma.config import Settings
from klearkarma.core.cache import CacheBackend, cache_backend
from klearkarma.core.db import Database
from klearkarma.core.embedded import embedded_database_url
from klearkarma.core.jobs import Worker
from klearkarma.core.storage import LocalStorage, Storage
from klearkarma.identity.oidc import OidcVerifier, providers_from_settings
from klearkarma.notifications.mailer import DatabaseMailbox, Mailer, SmtpConfig, SmtpMailer
from klearkarma.notifications.sms import SmsSender, build_sms_sender
from klearkarma.payments.gateways import build_gateway, build_payouts
from klearkarma.payments.gateways.base import PaymentGateway, PayoutProvider

log = structlog.get_logger("klearkarma.platform")


def resolve_database_url(settings: Settings) -> str:
    """The configured PostgreSQL, or the embedded one in ``DATA_DIR``."""
    if settings.database_url:
        return settings.database_url
    url = embedded_database_url(settings.data_dir)
    log.info("database.embedded", data_dir=str(settings.data_dir))
    return url


def build_mailer(settings: Settings, db: Database) -> Mailer:
    if settings.smtp_url is not None:
        return SmtpMailer(
            SmtpConfig.from_url(settings.smtp_url.get_secret_value()), settings.mail_from
        )
    return DatabaseMailbox(db, settings.mail_from)


@dataclass
class Platform:
    settings: Settings
    database_url: str
    db: Database
    cache: CacheBackend
    storage: Storage
    mailer: Mailer
    sms: SmsSender
    oidc: OidcVerifier
    gateway: PaymentGateway
    payouts: PayoutProvider
    worker: Worker | None = field(default=None)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        database_url: str | None = None,
        db: Database | None = None,
        cache: CacheBackend | None = None,
    ) -> Platform:
        url = database_url or resolve_database_url(settings)
        database = db or Database.connect(
            url, pool_size=settings.db_pool_size, reads_url=settings.reads_database_url
        )
        return cls(
            settings=settings,
            database_url=url,
            db=database,
            cache=cache or cache_backend(settings.redis_url, settings.cache_prefix),
            storage=LocalStorage(settings.storage_dir),
            mailer=build_mailer(settings, database),
            sms=build_sms_sender(settings, database),
            oidc=OidcVerifier(providers_from_settings(settings)),
            gateway=build_gateway(settings, url),
            payouts=build_payouts(settings),
        )

    def start_worker(self) -> None:
        self.worker = Worker(self, concurrency=self.settings.worker_concurrency)
        self.worker.start_in_background()
        log.info("worker.started", in_process=True)

    async def close(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        await self.oidc.aclose()
        await self.gateway.aclose()
        await self.cache.close()
        await self.db.dispose()


def platform_of(connection: HTTPConnection) -> Platform:
    """The running platform of the app serving this request."""
    platform: Platform = connection.app.state.platform
    return platform
