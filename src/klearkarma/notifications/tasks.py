"""Jobs of the notifications context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klearkarma.core.jobs import task
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.sms import SmsMessage

if TYPE_CHECKING:
    from klearkarma.platform import Platform


@task("notifications.send_email", queue="email")
async def send_email(
    platform: Platform,
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Deliver one email; a failure is retried with backoff by the queue."""
    email = Email(
        to=to, subject=subject, text=text, html=html, reply_to=reply_to, headers=headers or {}
    )
    await platform.mailer.send(email)


@task("notifications.send_sms", queue="sms")
async def send_sms(platform: Platform, *, to: str, body: str) -> None:
    """Deliver one text message; a failure is retried with backoff by the queue."""
    await platform.sms.send(SmsMessage(to=to, body=body))
