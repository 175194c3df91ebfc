"""Free slots for pages: the slot engine's answer grouped by the visitor's local day.

The profile page and the booking and rescheduling steps show the same grid; without JavaScript the
zone comes from the query string (or the account), with it the browser's own zone is filled in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.practitioners import availability

ZONES = frozenset(available_timezones())
DAYS_SHOWN = 7
COMMON_ZONES = (
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)


def zone_or(candidate: str | None, fallback: str) -> str:
    return candidate if candidate in ZONES else fallback


@dataclass
class Day:
    day: date
    slots: list[datetime] = field(default_factory=list)


@dataclass
class SlotGrid:
    zone: str
    start: date
    days: list[Day]
    duration_minutes: int

    @property
    def empty(self) -> bool:
        return not any(d.slots for d in self.days)

    @property
    def previous_start(self) -> date | None:
        today = datetime.now(ZoneInfo(self.zone)).date()
        return max(today, self.start - timedelta(days=DAYS_SHOWN)) if self.start > today else None

    @property
    def next_start(self) -> date:
        return self.start + timedelta(days=DAYS_SHOWN)


def week_start(raw: str | None, zone: str) -> date:
    today = datetime.now(ZoneInfo(zone)).date()
    try:
        asked = date.fromisoformat(raw) if raw else today
    except ValueError:
        asked = today
    return min(max(asked, today), today + timedelta(days=365))


async def slot_grid(
    session: AsyncSession,
    practitioner_id: uuid.UUID,
    service_id: uuid.UUID,
    zone: str,
    start: date,
) -> SlotGrid:
    """A week of free slots for one service, as local times in ``zone``."""
    end = start + timedelta(days=DAYS_SHOWN - 1)
    answer = await availability.compute_slots(
        session, practitioner_id, service_id=service_id, start=start, end=end, zone=zone
    )
    tz = ZoneInfo(zone)
    days = {start + timedelta(days=n): Day(start + timedelta(days=n)) for n in range(DAYS_SHOWN)}
    for slot in answer.slots:
        local = slot.start.astimezone(tz)
        if local.date() in days:
            days[local.date()].slots.append(local)
    return SlotGrid(zone, start, list(days.values()), answer.duration_minutes)
