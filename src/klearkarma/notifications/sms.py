"""Text messages: Twilio in real deployments, a database outbox when Twilio is not configured.

Like email, nothing texts from inside a request: requests enqueue ``notifications.send_sms`` (see
``service.queue_sms``) and a worker delivers after the commit, retrying while Twilio fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import anyio.to_thread
import structlog

from klearkarma.config import Settings
from klearkarma.core.db import Database
from klearkarma.notifications.models import DevSms

if TYPE_CHECKING:
    from twilio.http import HttpClient

log = structlog.get_logger("klearkarma.notifications.sms")

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SEPARATORS = re.compile(r"[\s\-.()]")
# The SDK's default is no timeout at all: a stalled connection would hold a worker slot forever.
TWILIO_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str
    body: str


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None: ...


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes, dots and brackets; what remains must be an E.164 number.

    One canonical spelling matters beyond Twilio: the outbox, ``?to=`` filters and account erasure
    all find a person's texts by exact match on it.
    """
    phone = _SEPARATORS.sub("", raw or "")
    if not E164.match(phone):
        raise ValueError("Use an international E.164 number such as +919876543210.")
    return phone


class TwilioSms:
    """Sends through Twilio's official SDK.

    The SDK's client is synchronous (``requests``), so each send runs in a worker thread; a Twilio
    error (``TwilioRestException``) or a network error propagates, and the queue retries the job.
    ``http_client`` and ``base_url`` exist for tests and proxies: the SDK still builds the real
    request, it only goes elsewhere.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        http_client: HttpClient | None = None,
        base_url: str | None = None,
    ) -> None:
        # Imported here: the SDK (requests, aiohttp) costs a quarter of a second at start-up, and
        # development and test processes, which use the outbox, never need it.
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            account_sid,
            auth_token,
            http_client=http_client or TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
        )
        if base_url is not None:
            self.client.api.base_url = base_url.rstrip("/")
        self.from_number = from_number

    async def send(self, message: SmsMessage) -> None:
        def create() -> None:
            self.client.messages.create(to=message.to, from_=self.from_number, body=message.body)

        await anyio.to_thread.run_sync(create)


class DatabaseSmsOutbox:
    """Keeps texts in ``dev_sms_outbox`` for ``/dev/sms`` instead of sending them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def send(self, message: SmsMessage) -> None:
        async with self.db.transaction() as session:
            session.add(
                DevSms(
                    recipient=normalize_phone(message.to),
                    body=message.body,
                    created_at=datetime.now(UTC),  # now() is the transaction start: too coarse
                )
            )


def build_sms_sender(settings: Settings, db: Database) -> SmsSender:
    """Twilio when it is fully configured; otherwise the dev outbox, so nothing leaves by accident.

    A half-configured Twilio (say, a token but no sender number) falls back too, loudly: the
    warning names the missing settings (never their values).
    """
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    configured = {
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_FROM_NUMBER": settings.twilio_from_number or "",
    }
    missing = [name for name, value in configured.items() if not value]
    if not missing:
        return TwilioSms(configured["TWILIO_ACCOUNT_SID"], token, configured["TWILIO_FROM_NUMBER"])
    if len(missing) < len(configured) or settings.is_production:
        log.warning("sms.twilio_not_configured", missing=missing, fallback="dev_sms_outbox")
    return DatabaseSmsOutbox(db)
