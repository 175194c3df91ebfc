"""Admin verification of practitioners: the queue and decisions, every step in the audit trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import ValidationFailed
from klearkarma.core.pagination import PageParams
from klearkarma.identity import service as identity
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.service import queue_email
from klearkarma.practitioners.models import Practitioner, VerificationDecision, VerificationStatus
from klearkarma.practitioners.service import bump_availability
from klearkarma.search import cache as search


async def queue(
    session: AsyncSession, page: PageParams, *, q: str | None = None
) -> tuple[list[Practitioner], int]:
    """Pending practitioners, oldest submission first; ``q`` keeps those whose name or city
    contains it (any case; ``%`` and ``_`` are plain characters)."""
    conditions = [Practitioner.verification_status == VerificationStatus.PENDING]
    if q and q.strip():
        wanted = q.strip()
        conditions.append(
            Practitioner.display_name.icontains(wanted, autoescape=True)
            | Practitioner.city.icontains(wanted, autoescape=True)
        )
    total = await session.scalar(select(func.count()).select_from(Practitioner).where(*conditions))
    rows = await session.scalars(
        select(Practitioner)
        .where(*conditions)
        .order_by(Practitioner.created_at, Practitioner.id)
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)


def _email(to: str, first_name: str, decision: VerificationStatus, reason: str) -> Email:
    if decision is VerificationStatus.VERIFIED:
        subject = "You are verified on Klear Karma"
        lines = [
            "Good news: an admin checked your credentials and your profile is now verified.",
            "Seekers can find and book you from today.",
        ]
    else:
        subject = "Your Klear Karma verification needs attention"
        lines = [
            "An admin reviewed your profile and could not verify it yet.",
            f"Reason: {reason}",
            "Update your profile or upload clearer documents; we will review it again.",
        ]
    text = "\n\n".join([f"Hi {first_name},", *lines, "— Klear Karma"])
    return Email(to=[to], subject=subject, text=text)


async def decide(
    session: AsyncSession,
    cache: CacheBackend,
    *,
    admin_id: uuid.UUID,
    practitioner: Practitioner,
    decision: VerificationStatus,
    reason: str,
) -> VerificationDecision:
    if decision is VerificationStatus.REJECTED and len(reason.strip()) < 3:
        raise ValidationFailed([("reason", "Say why, so the practitioner can fix it.")])
    practitioner.verification_status = decision
    practitioner.verified_at = (
        datetime.now(UTC) if decision is VerificationStatus.VERIFIED else None
    )
    record = VerificationDecision(
        practitioner_id=practitioner.id,
        decided_by=admin_id,
        decision=decision,
        reason=reason.strip(),
    )
    session.add(record)
    await session.flush()
    user = await identity.get_user(session, practitioner.user_id)
    if user is not None and user.deleted_at is None:
        await queue_email(session, _email(user.email, user.first_name, decision, reason.strip()))
    bump_availability(session, cache, practitioner.id)
    search.changed(session, cache)
    return record
