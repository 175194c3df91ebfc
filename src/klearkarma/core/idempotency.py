"""``Idempotency-Key`` for POSTs that create or move things (bookings, payments).

A retry with the same key and the same body gets the first answer again, byte for byte; the same
key with another body is 422 ``IDEMPOTENCY_CONFLICT``. The key row is inserted in the request's own
transaction before the work is done, so:

* two concurrent requests with one key serialise on the row's unique index: the second waits for
  the first to commit and then replays its answer instead of doing the work twice;
* when the work fails (the transaction rolls back), the key goes with it and a retry does the
  work afresh.

Keys are scoped to the caller and the route and kept for 24 hours.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import Integer, LargeBinary, Text, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base
from klearkarma.core.errors import AppError, ValidationFailed
from klearkarma.core.http import route_template

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyConflict(AppError):
    status_code = 422
    code = "IDEMPOTENCY_CONFLICT"


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    request_hash: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


async def replay_or_run(
    session: AsyncSession,
    request: Request,
    owner_id: uuid.UUID,
    work: Callable[[], Awaitable[Response]],
) -> Response:
    """Run ``work`` once per (caller, route, key); later calls replay its response."""
    key = request.headers.get(HEADER)
    if key is None:
        return await work()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed([(HEADER, f"Use 1 to {MAX_KEY_LENGTH} characters.")])
    scope = f"{request.method} {route_template(request.scope)}"
    digest = hashlib.sha256(await request.body()).hexdigest()
    identity = (owner_id, scope, key)
    for _ in range(3):
        now = datetime.now(UTC)
        # Waits while another transaction holds the same key uncommitted.
        inserted = await session.scalar(
            insert(IdempotencyKey)
            .values(owner_id=owner_id, scope=scope, key=key, request_hash=digest, created_at=now)
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        )
        if inserted is not None:
            response = await work()
            record = await session.get(IdempotencyKey, identity)
            assert record is not None
            record.status_code = response.status_code
            record.response_body = bytes(response.body)
            await session.flush()
            return response
        record = await session.get(IdempotencyKey, identity, with_for_update=True)
        if record is None:
            continue  # the first request rolled back: the key is free again
        if record.created_at < now - TTL:
            await session.delete(record)
            await session.flush()
            continue
        if record.request_hash != digest:
            raise IdempotencyConflict(
                "This Idempotency-Key was used with a different request body."
            )
        assert record.response_body is not None
        return Response(
            record.response_body,
            status_code=record.status_code or 200,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    raise IdempotencyConflict("This Idempotency-Key is busy; retry in a moment.")


async def prune(session: AsyncSession) -> int:
    """Drop keys past their lifetime (run by housekeeping)."""
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < datetime.now(UTC) - TTL)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
