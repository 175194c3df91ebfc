"""Email delivery: SMTP in real deployments, a database mailbox when no SMTP server is configured.

Nothing calls a mailer inside a request: requests enqueue ``notifications.send_email`` (see
``service.queue_email``) and a worker delivers after the commit, retrying while SMTP is down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from klearkarma.core.db import Database
from klearkarma.notifications.models import DevMail


@dataclass(frozen=True, slots=True)
class Email:
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    async def send(self, email: Email) -> None: ...


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain="klearkarma.local")
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None  # None: upgrade when the server offers STARTTLS
    timeout: float

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """``smtp://user:pass@host:587?starttls=true`` or ``smtps://host:465`` (implicit TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        starttls = _flag(query.get("starttls"), "starttls")
        if implicit and starttls:
            raise ValueError(
                "SMTP_URL: smtps:// already uses TLS; drop ?starttls=true or use smtp://"
            )
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit,
            start_tls=starttls,
            timeout=float(query.get("timeout", "30")),
        )


def _flag(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"SMTP_URL parameter {name}={value!r} must be true or false")


class SmtpMailer:
    def __init__(self, config: SmtpConfig, sender: str) -> None:
        self.config = config
        self.sender = sender

    async def send(self, email: Email) -> None:
        await aiosmtplib.send(
            build_message(email, self.sender),
            hostname=self.config.hostname,
            port=self.config.port,
            username=self.config.username,
            password=self.config.password,
            use_tls=self.config.use_tls,
            start_tls=self.config.start_tls,
            timeout=self.config.timeout,
        )


class DatabaseMailbox:
    """Keeps messages in ``dev_mailbox`` for the /dev/mailbox page instead of sending them."""

    def __init__(self, db: Database, sender: str) -> None:
        self.db = db
        self.sender = sender

    async def send(self, email: Email) -> None:
        async with self.db.transaction() as session:
            session.add(
                DevMail(
                    sender=self.sender,
                    recipients=[address.strip().lower() for address in email.to],
                    subject=email.subject,
                    text_body=email.text,
                    html_body=email.html,
                    created_at=datetime.now(UTC),  # now() is the transaction start: too coarse
                )
            )
