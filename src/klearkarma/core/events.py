"""Domain events: facts written in the transaction of the change they describe (an outbox).

Notifications, analytics and real-time updates read them afterwards; because the event commits or
rolls back with its change, a reader never sees an event for a change that did not happen, nor
misses one that did.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pydantic_core
from sqlalchemy import Index, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base, UUIDPrimaryKey


class DomainEvent(UUIDPrimaryKey, Base):
    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_aggregate", "aggregate_type", "aggregate_id"),)

    type: Mapped[str] = mapped_column(Text, index=True)
    aggregate_type: Mapped[str] = mapped_column(Text)
    aggregate_id: Mapped[uuid.UUID]
    actor_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


async def record(
    session: AsyncSession,
    event_type: str,
    aggregate_id: uuid.UUID,
    payload: dict[str, Any],
    *,
    actor_id: uuid.UUID | None = None,
) -> DomainEvent:
    """Add ``event_type`` (e.g. ``booking.created``) to the session's transaction."""
    event = DomainEvent(
        type=event_type,
        aggregate_type=event_type.partition(".")[0],
        aggregate_id=aggregate_id,
        actor_id=actor_id,
        payload=pydantic_core.to_jsonable_python(payload),
        occurred_at=datetime.now(UTC),
    )
    session.add(event)
    await session.flush()
    return event


async def events_for(session: AsyncSession, aggregate_id: uuid.UUID) -> list[DomainEvent]:
    """One aggregate's events in the order they happened."""
    rows = await session.scalars(
        select(DomainEvent)
        .where(DomainEvent.aggregate_id == aggregate_id)
        .order_by(DomainEvent.occurred_at, DomainEvent.id)
    )
    return list(rows)
