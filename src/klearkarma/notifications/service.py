"""Use cases of the notifications context, called by other contexts."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.jobs import enqueue
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.models import DevMail, DevSms
from klearkarma.notifications.sms import SmsMessage, normalize_phone
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
    """Schedule a text for delivery once (and only if) the caller's transaction commits.

    The number is normalised here, so a bad one fails the caller's request instead of eight job
    attempts, and the job's ``to`` is the canonical spelling that erasure looks for.
    """
    return await enqueue(session, send_sms, to=normalize_phone(message.to), body=message.body)


async def list_dev_sms(
    session: AsyncSession, *, recipient: str | None, offset: int, limit: int
) -> tuple[list[DevSms], int]:
    query = select(DevSms)
    if recipient:
        query = query.where(DevSms.recipient == _phone_filter(recipient))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(DevSms.created_at.desc(), DevSms.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)


def _phone_filter(raw: str) -> str:
    # Typed into a browser, ``?to=+9198…`` arrives as `` 9198…``: a query string's '+' is a space.
    phone = _lenient_phone(raw)
    return phone if phone.startswith("+") else f"+{phone}"


def _lenient_phone(raw: str) -> str:
    """The E.164 form when there is one, else the input without separators (never raises)."""
    try:
        return normalize_phone(raw)
    except ValueError:
        return "".join(ch for ch in raw if ch.isalnum() or ch == "+")


# The ``args`` of a notification job name its recipients: ``to`` is a JSON array of addresses for
# email, one E.164 number for SMS. A job a worker holds right now ('doing'; 'aborting' is its legacy
# twin) is left alone: deleting it under the worker would fail the worker, not stop the delivery.
_ERASE_EMAIL_JOBS = text(
    "DELETE FROM procrastinate_jobs WHERE task_name = :task "
    "AND status NOT IN ('doing', 'aborting') "
    "AND jsonb_typeof(args->'to') = 'array' "
    "AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(args->'to') AS recipient(address) "
    "WHERE lower(btrim(recipient.address)) = :email)"
)
_ERASE_SMS_JOBS = text(
    "DELETE FROM procrastinate_jobs WHERE task_name = :task "
    "AND status NOT IN ('doing', 'aborting') AND args->>'to' = :phone"
)


async def erase_recipient(session: AsyncSession, *, email: str | None, phone: str | None) -> None:
    """Forget what was, or was about to be, sent to a person (account erasure).

    Deletes the caught copies in the dev mailbox and SMS outbox and the notification jobs, queued
    or finished, whose arguments carry the address or number: a job row keeps a message's full
    text (reset links, codes) long after delivery. Pending jobs go too, so nothing reaches the
    person after they asked to be forgotten. Emails match case-insensitively, as mailboxes do.
    """
    if email and email.strip():
        address = email.strip().lower()
        await session.execute(delete(DevMail).where(DevMail.recipients.contains([address])))
        await session.execute(_ERASE_EMAIL_JOBS, {"task": send_email.name, "email": address})
    if phone and phone.strip():
        number = _lenient_phone(phone)
        await session.execute(delete(DevSms).where(DevSms.recipient == number))
        await session.execute(_ERASE_SMS_JOBS, {"task": send_sms.name, "phone": number})
