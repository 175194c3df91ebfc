"""Domain events: facts written in the transaction of the change they describe (an outbox).

Notifications, analytics and real-time updates read them afterwards; because the event commits or
rolls back with its change, a reader never sees an event for a change that did not happen, nor
misses one that did.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
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
    for handler in _handlers.get(event_type, ()):
        await handler(session, event)
    return event


Handler = Callable[[AsyncSession, "DomainEvent"], Awaitable[None]]
_handlers: dict[str, list[Handler]] = {}


def subscribe(event_type: str) -> Callable[[Handler], Handler]:
    """Run the decorated coroutine inside the transaction of every ``event_type`` recorded.

    This is how one context reacts to another without the announcer knowing who listens (the
    payments context refunds a cancelled booking). Handlers must only do transactional work,
    typically enqueueing a job, so that a rollback takes their effect with it.
    """

    def register(handler: Handler) -> Handler:
        _handlers.setdefault(event_type, []).append(handler)
        return handler

    return register


async def events_for(session: AsyncSession, aggregate_id: uuid.UUID) -> list[DomainEvent]:
    """One aggregate's events in the order they happened."""
    rows = await session.scalars(
        select(DomainEvent)
        .where(DomainEvent.aggregate_id == aggregate_id)
        .order_by(DomainEvent.occurred_at, DomainEvent.id)
    )
    return list(rows)
