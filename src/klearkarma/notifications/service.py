"""Use cases of the notifications context, called by other contexts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.jobs import enqueue
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.models import DevMail
from klearkarma.notifications.tasks import send_email


async def queue_email(session: AsyncSession, email: Email) -> int:
    """Schedule ``email`` for delivery once (and only if) the caller's transaction commits."""
    return await enqueue(
        session,
        send_email,
        to=email.to,
        subject=email.subject,
        text=email.text,
        html=email.html,
        reply_to=email.reply_to,
        headers=email.headers,
    )


async def list_dev_mail(
    session: AsyncSession, *, recipient: str | None, offset: int, limit: int
) -> tuple[list[DevMail], int]:
    query = select(DevMail)
    if recipient:
        query = query.where(DevMail.recipients.contains([recipient.strip().lower()]))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(DevMail.created_at.desc(), DevMail.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)


async def get_dev_mail(session: AsyncSession, mail_id: uuid.UUID) -> DevMail | None:
    return await session.get(DevMail, mail_id)
