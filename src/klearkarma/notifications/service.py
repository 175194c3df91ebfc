"""Use cases of the notifications context, called by other contexts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.jobs import enqueue
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.models import DevMail, DevSms
from klearkarma.notifications.sms import SmsMessage
from klearkarma.notifications.tasks import send_email, send_sms


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


async def queue_sms(session: AsyncSession, message: SmsMessage) -> int:
    """Schedule a text for delivery once (and only if) the caller's transaction commits."""
    return await enqueue(session, send_sms, to=message.to, body=message.body)


async def erase_recipient(session: AsyncSession, *, email: str | None, phone: str | None) -> None:
    """Forget what was sent to a person: caught messages and finished notification jobs."""
    if email:
        await session.execute(
            text("DELETE FROM dev_mailbox WHERE :email = ANY(recipients)"), {"email": email}
        )
        await session.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE task_name = 'notifications.send_email' "
                "AND status <> 'doing' AND args->'to' ? :email"
            ),
            {"email": email},
        )
    if phone:
        await session.execute(
            text("DELETE FROM dev_sms_outbox WHERE recipient = :phone"), {"phone": phone}
        )
        await session.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE task_name = 'notifications.send_sms' "
                "AND status <> 'doing' AND args->>'to' = :phone"
            ),
            {"phone": phone},
        )


async def list_dev_sms(
    session: AsyncSession, *, recipient: str | None, offset: int, limit: int
) -> tuple[list[DevSms], int]:
    query = select(DevSms)
    if recipient:
        query = query.where(DevSms.recipient == recipient.replace(" ", ""))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(DevSms.created_at.desc(), DevSms.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)
