"""Text messages: Twilio in real deployments, a database outbox when Twilio is not configured.

Like email, nothing texts from inside a request: requests enqueue ``notifications.send_sms``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import anyio

from klearkarma.config import Settings
from klearkarma.core.db import Database
from klearkarma.notifications.models import DevSms

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SEPARATORS = re.compile(r"[\s\-.()]")


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str
    body: str


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None: ...


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes, dots and brackets; what remains must be an E.164 number."""
    phone = _SEPARATORS.sub("", raw or "")
    if not E164.match(phone):
        raise ValueError("Use an international E.164 number such as +919876543210.")
    return phone


class TwilioSms:
    """Twilio's official SDK; its client is synchronous, so it runs in a worker thread."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str) -> None:
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token)
        self.from_number = from_number

    async def send(self, message: SmsMessage) -> None:
        def create() -> None:
            self.client.messages.create(to=message.to, from_=self.from_number, body=message.body)

        await anyio.to_thread.run_sync(create)


class DatabaseSmsOutbox:
    """Keeps texts in ``dev_sms_outbox`` for /dev/sms instead of sending them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def send(self, message: SmsMessage) -> None:
        async with self.db.transaction() as session:
            session.add(
                DevSms(
                    recipient=normalize_phone(message.to),
                    body=message.body,
                    created_at=datetime.now(UTC),
                )
            )


def build_sms_sender(settings: Settings, db: Database) -> SmsSender:
    sid, token, sender = (
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from_number,
    )
    if sid and token and sender:
        return TwilioSms(sid, token.get_secret_value(), sender)
    return DatabaseSmsOutbox(db)
