"""Free slots of a practitioner, computed by the pure slot engine and cached per practitioner.

The cache key carries a version that every rule, blocked-time and booking change bumps, so a
cached answer is never older than the last change that affects it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import service as bookings
from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import NotFound, ValidationFailed
from klearkarma.practitioners.models import AvailabilitySchedule, BlockedTime, Service
from klearkarma.practitioners.schemas import AvailabilityOut, SlotOut
from klearkarma.practitioners.service import require_public
from klearkarma.scheduling.rules import AvailabilityRules, rules_from_payload
from klearkarma.scheduling.slots import Busy, free_slots

MAX_WINDOW_DAYS = 62
DEFAULT_WINDOW_DAYS = 14
DEFAULT_DURATION = 60
CACHE_SECONDS = 60


def schedule_payload(schedule: AvailabilitySchedule) -> dict[str, Any]:
    return {
        "timezone": schedule.timezone,
        "weeklyHours": schedule.weekly_hours,
        "overrides": schedule.overrides,
        "bufferBeforeMinutes": schedule.buffer_before_minutes,
        "bufferAfterMinutes": schedule.buffer_after_minutes,
        "minNoticeMinutes": schedule.min_notice_minutes,
        "maxAdvanceDays": schedule.max_advance_days,
        "slotIntervalMinutes": schedule.slot_interval_minutes,
        "dailyBookingLimit": schedule.daily_booking_limit,
    }


async def rules_for(session: AsyncSession, practitioner_id: uuid.UUID) -> AvailabilityRules | None:
    schedule = await session.get(AvailabilitySchedule, practitioner_id)
    return rules_from_payload(schedule_payload(schedule)) if schedule is not None else None


async def busy_for(
    session: AsyncSession,
    practitioner_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    exclude_booking: uuid.UUID | None = None,
) -> list[Busy]:
    """Bookings (which count toward a daily limit) and blocked times (which do not)."""
    periods = [
        Busy(s, e)
        for s, e in await bookings.busy_periods(
            session, practitioner_id, start, end, exclude=exclude_booking
        )
    ]
    blocks = await session.execute(
        select(BlockedTime.starts_at, BlockedTime.ends_at).where(
            BlockedTime.practitioner_id == practitioner_id,
            BlockedTime.starts_at < end,
            BlockedTime.ends_at > start,
        )
    )
    periods.extend(Busy(s, e, count_toward_limit=False) for s, e in blocks)
    return periods


def _window(first: date | None, last: date | None) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    start = first or today
    end = last or start + timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if end < start:
        raise ValidationFailed([("to", "'to' must not be before 'from'.")])
    if (end - start).days >= MAX_WINDOW_DAYS:
        raise ValidationFailed([("to", f"Ask for at most {MAX_WINDOW_DAYS} days at a time.")])
    return start, end


async def slots_json(
    session: AsyncSession,
    cache: CacheBackend,
    practitioner_id: uuid.UUID,
    *,
    service_id: uuid.UUID | None,
    first: date | None,
    last: date | None,
    zone: str,
) -> bytes:
    """The answer as camelCase JSON, from the cache when nothing changed since it was computed.

    The cache version moves with every change that could alter the answer, visibility included
    (verification decisions, suspensions), so a hit needs no database round trip at all.
    """
    start, end = _window(first, last)
    version = await cache.get(f"avail-version:{practitioner_id}") or b"0"
    key = f"avail:{practitioner_id}:{version.decode()}:{start}:{end}:{service_id}:{zone}"
    cached = await cache.get(key)
    if cached is not None:
        return cached
    answer = await compute_slots(
        session, practitioner_id, service_id=service_id, start=start, end=end, zone=zone
    )
    encoded = answer.model_dump_json(by_alias=True).encode()
    await cache.set(key, encoded, CACHE_SECONDS)
    return encoded


async def compute_slots(
    session: AsyncSession,
    practitioner_id: uuid.UUID,
    *,
    service_id: uuid.UUID | None,
    start: date,
    end: date,
    zone: str,
) -> AvailabilityOut:
    practitioner = await require_public(session, practitioner_id)
    duration = DEFAULT_DURATION
    if service_id is not None:
        service = await session.scalar(
            select(Service).where(
                Service.id == service_id,
                Service.practitioner_id == practitioner_id,
                Service.is_active.is_(True),
            )
        )
        if service is None:
            raise NotFound("Service not found for this practitioner.")
        duration = service.duration_minutes
    rules = await rules_for(session, practitioner_id)
    found: list[SlotOut] = []
    if rules is not None:
        margin = timedelta(days=2)  # local days reach up to 14 hours either side of UTC
        busy = await busy_for(
            session,
            practitioner_id,
            datetime.combine(start, datetime.min.time(), UTC) - margin,
            datetime.combine(end, datetime.min.time(), UTC) + margin,
        )
        found = [
            SlotOut(start=s.start, end=s.end)
            for s in free_slots(
                rules,
                busy,
                duration=timedelta(minutes=duration),
                window_start=start,
                window_end=end,
                now=datetime.now(UTC),
                zone=zone,
            )
        ]
    return AvailabilityOut(
        timezone=zone,
        practitioner_timezone=rules.timezone if rules else practitioner.timezone,
        service_id=service_id,
        duration_minutes=duration,
        slots=found,
    )
