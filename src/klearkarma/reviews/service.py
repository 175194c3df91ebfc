"""Use cases of the reviews context."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import as_dict
from klearkarma.core.pagination import PageParams
from klearkarma.practitioners import service as practitioners
from klearkarma.reviews.models import Review


async def list_for_practitioner(
    session: AsyncSession, practitioner_id: uuid.UUID, page: PageParams
) -> tuple[list[Review], int]:
    condition = Review.practitioner_id == practitioner_id
    total = await session.scalar(select(func.count()).select_from(Review).where(condition))
    rows = await session.scalars(
        select(Review)
        .where(condition)
        .order_by(Review.created_at.desc(), Review.id)
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)


async def export_for_user(session: AsyncSession, user_id: uuid.UUID) -> list[dict[str, object]]:
    rows = await session.scalars(
        select(Review).where(Review.seeker_id == user_id).order_by(Review.created_at)
    )
    return [as_dict(r) for r in rows]


async def erase_for_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Keep the rating (it feeds averages) but drop the author's words."""
    await session.execute(update(Review).where(Review.seeker_id == user_id).values(comment=""))


async def refresh_rating(
    session: AsyncSession, cache: CacheBackend, practitioner_id: uuid.UUID
) -> None:
    """Publish a practitioner's average rating and review count from their reviews.

    Every change to a practitioner's reviews (a new review, one removed by moderation) calls
    this, so the profile, the directory and search (whose cached answers it drops) agree.
    """
    average, count = (
        await session.execute(
            select(func.avg(Review.rating), func.count()).where(
                Review.practitioner_id == practitioner_id
            )
        )
    ).one()
    rating = Decimal(average or 0).quantize(Decimal("0.01"))
    await practitioners.record_rating(
        session, cache, practitioner_id, rating=rating, review_count=int(count)
    )
