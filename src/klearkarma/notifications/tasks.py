"""Jobs of the notifications context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klearkarma.core.jobs import task
from klearkarma.notifications.mailer import Email

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
