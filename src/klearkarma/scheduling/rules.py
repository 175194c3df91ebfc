"""Availability rules: a practitioner's working hours and booking limits, in their own IANA zone.

The rules are plain frozen values. ``rules_from_payload`` turns the contract's camelCase body
(``PUT /v1/practitioners/{id}/availability``) into them, collecting every problem with the path of
the offending field; ``rules_to_payload`` is its inverse. Constructing the dataclasses directly
runs the same checks, so the slot engine can rely on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Indexed by ``date.weekday()``.
WEEKDAYS: Final[tuple[Weekday, ...]] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
SLOT_INTERVAL_MINUTES: Final[tuple[int, ...]] = (5, 10, 15, 20, 30, 45, 60, 90, 120)
MAX_BUFFER_MINUTES: Final = 240
MAX_NOTICE_MINUTES: Final = 30 * 24 * 60
MAX_ADVANCE_DAYS: Final = 365
MAX_DAILY_LIMIT: Final = 50
DEFAULT_MAX_ADVANCE_DAYS: Final = 60
DEFAULT_SLOT_INTERVAL_MINUTES: Final = 30

MINUTES_PER_DAY: Final = 24 * 60
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
_HHMM = re.compile(r"(\d{2}):(\d{2})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Errors = list[tuple[str, str]]


class RulesError(ValueError):
    """Invalid availability rules; ``errors`` lists every problem as ``(field path, message)``."""

    def __init__(self, field: str, message: str, *, errors: Sequence[tuple[str, str]] = ()) -> None:
        self.errors: Errors = list(errors) or [(field, message)]
        self.field, self.message = self.errors[0]
        super().__init__("; ".join(f"{path}: {text}" for path, text in self.errors))

    @classmethod
    def collected(cls, errors: Sequence[tuple[str, str]]) -> RulesError:
        field, message = errors[0]
        return cls(field, message, errors=errors)


@lru_cache(maxsize=512)
def zone(key: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA key, built once; ``ValueError`` if there is no such zone."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise ValueError(f"Unknown IANA time zone: {key!r}") from exc


def _is_zone(key: object) -> bool:
    if not isinstance(key, str) or not key:
        return False
    try:
        zone(key)
    except ValueError:
        return False
    return True


def minute_of_day(moment: time, *, is_end: bool = False) -> int:
    """Minutes since local midnight; an end of ``time(0, 0)`` is the midnight ending the day."""
    minutes = moment.hour * 60 + moment.minute
    return MINUTES_PER_DAY if is_end and minutes == 0 else minutes


@dataclass(frozen=True, slots=True)
class LocalInterval:
    """Wall-clock hours within one local day; ``end == time(0, 0)`` means the end of the day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise RulesError(name, "Use a whole minute of local wall-clock time.")
        if self.start_minute >= self.end_minute:
            raise RulesError("end", "The end must be after the start.")

    @property
    def start_minute(self) -> int:
        return minute_of_day(self.start)

    @property
    def end_minute(self) -> int:
        return minute_of_day(self.end, is_end=True)


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """One interval of recurring working hours on a weekday."""

    day: Weekday
    interval: LocalInterval

    def __post_init__(self) -> None:
        if self.day not in WEEKDAYS:
            raise RulesError("day", "Use a lower-case English day name (monday … sunday).")


@dataclass(frozen=True, slots=True)
class DateOverride:
    """Other hours on one local date; no intervals means a day off."""

    day: date
    intervals: tuple[LocalInterval, ...]

    def __post_init__(self) -> None:
        errors = _overlap_errors((f"intervals[{i}]", iv) for i, iv in enumerate(self.intervals))
        if errors:
            raise RulesError.collected(errors)


@dataclass(frozen=True, slots=True)
class AvailabilityRules:
    """A practitioner's booking rules; weekly hours and overrides are in ``timezone``."""

    timezone: str
    weekly: tuple[WeeklyHours, ...]
    overrides: tuple[DateOverride, ...] = ()
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    max_advance: timedelta = timedelta(days=DEFAULT_MAX_ADVANCE_DAYS)
    slot_interval: timedelta = timedelta(minutes=DEFAULT_SLOT_INTERVAL_MINUTES)
    # Most bookings per local day; counts busy intervals with ``count_toward_limit``.
    daily_limit: int | None = None

    def __post_init__(self) -> None:
        errors = _scalar_errors(
            timezone=self.timezone,
            buffer_before=self.buffer_before,
            buffer_after=self.buffer_after,
            min_notice=self.min_notice,
            max_advance=self.max_advance,
            slot_interval=self.slot_interval,
            daily_limit=self.daily_limit,
        )
        errors += _weekly_errors((f"weeklyHours[{i}]", w) for i, w in enumerate(self.weekly))
        errors += _override_errors(
            (
                f"overrides[{i}]",
                o.day,
                [(f"overrides[{i}].intervals[{k}]", iv) for k, iv in enumerate(o.intervals)],
            )
            for i, o in enumerate(self.overrides)
        )
        if errors:
            raise RulesError.collected(errors)


# Checks shared by the constructors and the payload parser; paths use the payload's names.


def _overlap_errors(items: Iterable[tuple[str, LocalInterval]]) -> Errors:
    ordered = sorted(items, key=lambda item: (item[1].start_minute, item[1].end_minute))
    errors: Errors = []
    latest: tuple[str, LocalInterval] | None = None
    for path, interval in ordered:
        if latest is not None and interval.start_minute < latest[1].end_minute:
            errors.append((path, f"Overlaps {latest[0]}."))
        if latest is None or interval.end_minute > latest[1].end_minute:
            latest = (path, interval)
    return errors


def _weekly_errors(items: Iterable[tuple[str, WeeklyHours]]) -> Errors:
    by_day: dict[str, list[tuple[str, LocalInterval]]] = {}
    for path, hours in items:
        by_day.setdefault(hours.day, []).append((path, hours.interval))
    return [error for day in WEEKDAYS for error in _overlap_errors(by_day.get(day, []))]


def _override_errors(
    items: Iterable[tuple[str, date, Sequence[tuple[str, LocalInterval]]]],
) -> Errors:
    errors: Errors = []
    seen: set[date] = set()
    for path, day, intervals in items:
        if day in seen:
            errors.append((f"{path}.date", f"There is already an override for {day}."))
        seen.add(day)
        errors += _overlap_errors(intervals)
    return errors


def _minutes_error(value: timedelta, low: int, high: int) -> str | None:
    if value % _MINUTE:
        return "Use a whole number of minutes."
    if not low <= value // _MINUTE <= high:
        return f"Must be between {low} and {high} minutes."
    return None


def _scalar_errors(
    *,
    timezone: object,
    buffer_before: timedelta | None,
    buffer_after: timedelta | None,
    min_notice: timedelta | None,
    max_advance: timedelta | None,
    slot_interval: timedelta | None,
    daily_limit: int | None,
) -> Errors:
    """Range checks; a ``None`` argument was already reported by the parser and is skipped."""
    errors: Errors = []
    if not _is_zone(timezone):
        errors.append(("timezone", "Use an IANA time zone such as Asia/Kolkata."))
    for field, value, high in (
        ("bufferBeforeMinutes", buffer_before, MAX_BUFFER_MINUTES),
        ("bufferAfterMinutes", buffer_after, MAX_BUFFER_MINUTES),
        ("minNoticeMinutes", min_notice, MAX_NOTICE_MINUTES),
    ):
        problem = None if value is None else _minutes_error(value, 0, high)
        if problem:
            errors.append((field, problem))
    if max_advance is not None and (
        max_advance % _DAY or not 1 <= max_advance // _DAY <= MAX_ADVANCE_DAYS
    ):
        errors.append(("maxAdvanceDays", f"Must be between 1 and {MAX_ADVANCE_DAYS} whole days."))
    if slot_interval is not None and not (
        slot_interval % _MINUTE == timedelta(0)
        and slot_interval // _MINUTE in SLOT_INTERVAL_MINUTES
    ):
        allowed = ", ".join(map(str, SLOT_INTERVAL_MINUTES))
        errors.append(("slotIntervalMinutes", f"Must be one of {allowed} minutes."))
    if daily_limit is not None and (
        isinstance(daily_limit, bool) or not 1 <= daily_limit <= MAX_DAILY_LIMIT
    ):
        errors.append(("dailyBookingLimit", f"Must be between 1 and {MAX_DAILY_LIMIT}, or null."))
    return errors


# The payload.

_MISSING: Final = object()


def _parse_time(value: object, *, is_end: bool) -> time | None:
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if is_end and (hour, minute) == (24, 0):
        return time(0, 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _parse_interval(item: object, path: str, errors: Errors) -> LocalInterval | None:
    if not isinstance(item, Mapping):
        errors.append((path, "Give an object with start and end."))
        return None
    start = _parse_time(item.get("start"), is_end=False)
    end = _parse_time(item.get("end"), is_end=True)
    if start is None:
        errors.append((f"{path}.start", "Use HH:MM on a 24-hour clock."))
    if end is None:
        errors.append((f"{path}.end", "Use HH:MM on a 24-hour clock (24:00 for midnight)."))
    if start is None or end is None:
        return None
    if minute_of_day(start) >= minute_of_day(end, is_end=True):
        errors.append((f"{path}.end", "The end must be after the start."))
        return None
    return LocalInterval(start, end)


def _parse_list(value: object, path: str, errors: Errors) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    errors.append((path, "Required: a list." if value is _MISSING else "Must be a list."))
    return []


def _parse_weekly(value: object, errors: Errors) -> list[tuple[str, WeeklyHours]]:
    parsed: list[tuple[str, WeeklyHours]] = []
    for i, item in enumerate(_parse_list(value, "weeklyHours", errors)):
        path = f"weeklyHours[{i}]"
        interval = _parse_interval(item, path, errors)
        if not isinstance(item, Mapping):
            continue
        day = next((name for name in WEEKDAYS if name == item.get("day")), None)
        if day is None:
            errors.append((f"{path}.day", "Use a lower-case English day name (monday … sunday)."))
        elif interval is not None:
            parsed.append((path, WeeklyHours(day, interval)))
    return parsed


def _parse_date(value: object) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_overrides(
    value: object, errors: Errors
) -> list[tuple[str, date, list[tuple[str, LocalInterval]]]]:
    parsed: list[tuple[str, date, list[tuple[str, LocalInterval]]]] = []
    for i, item in enumerate(_parse_list(value, "overrides", errors)):
        path = f"overrides[{i}]"
        if not isinstance(item, Mapping):
            errors.append((path, "Give an object with date and intervals."))
            continue
        day = _parse_date(item.get("date"))
        if day is None:
            errors.append((f"{path}.date", "Use a calendar date, YYYY-MM-DD."))
        intervals: list[tuple[str, LocalInterval]] = []
        for k, raw in enumerate(
            _parse_list(item.get("intervals", _MISSING), f"{path}.intervals", errors)
        ):
            interval = _parse_interval(raw, f"{path}.intervals[{k}]", errors)
            if interval is not None:
                intervals.append((f"{path}.intervals[{k}]", interval))
        if day is not None:
            parsed.append((path, day, intervals))
    return parsed


def _parse_int(
    payload: Mapping[str, Any], field: str, default: int | None, errors: Errors
) -> int | None:
    value = payload.get(field, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append((field, "Must be a whole number."))
        return None
    return value


def _as_minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def rules_from_payload(payload: Mapping[str, Any]) -> AvailabilityRules:
    """Parse the contract's availability body (camelCase JSON) into rules.

    ``timezone`` and ``weeklyHours`` are required; the other fields default to the dataclass
    defaults (no buffers, no notice, 60 days ahead, 30-minute slots, no daily limit). Unknown
    keys are ignored. Every problem is collected into one ``RulesError`` whose ``errors`` name the
    offending fields, e.g. ``("weeklyHours[2].end", "The end must be after the start.")``.
    """
    if not isinstance(payload, Mapping):
        raise RulesError("", "The availability rules must be a JSON object.")
    errors: Errors = []
    weekly = _parse_weekly(payload.get("weeklyHours", _MISSING), errors)
    overrides = _parse_overrides(payload.get("overrides", []), errors)
    buffer_before = _parse_int(payload, "bufferBeforeMinutes", 0, errors)
    buffer_after = _parse_int(payload, "bufferAfterMinutes", 0, errors)
    min_notice = _parse_int(payload, "minNoticeMinutes", 0, errors)
    max_advance = _parse_int(payload, "maxAdvanceDays", DEFAULT_MAX_ADVANCE_DAYS, errors)
    slot_interval = _parse_int(
        payload, "slotIntervalMinutes", DEFAULT_SLOT_INTERVAL_MINUTES, errors
    )
    daily_limit = _parse_int(payload, "dailyBookingLimit", None, errors)
    timezone = payload.get("timezone")
    errors += _scalar_errors(
        timezone=timezone,
        buffer_before=_as_minutes(buffer_before),
        buffer_after=_as_minutes(buffer_after),
        min_notice=_as_minutes(min_notice),
        max_advance=None if max_advance is None else timedelta(days=max_advance),
        slot_interval=_as_minutes(slot_interval),
        daily_limit=daily_limit,
    )
    errors += _weekly_errors(weekly)
    errors += _override_errors(overrides)
    if errors:
        raise RulesError.collected(errors)
    assert isinstance(timezone, str)  # all None values were reported above
    assert buffer_before is not None
    assert buffer_after is not None
    assert min_notice is not None
    assert max_advance is not None
    assert slot_interval is not None
    return AvailabilityRules(
        timezone=timezone,
        weekly=tuple(hours for _, hours in weekly),
        overrides=tuple(
            DateOverride(day, tuple(interval for _, interval in intervals))
            for _, day, intervals in overrides
        ),
        buffer_before=timedelta(minutes=buffer_before),
        buffer_after=timedelta(minutes=buffer_after),
        min_notice=timedelta(minutes=min_notice),
        max_advance=timedelta(days=max_advance),
        slot_interval=timedelta(minutes=slot_interval),
        daily_limit=daily_limit,
    )


def _format_time(moment: time, *, is_end: bool) -> str:
    minutes = minute_of_day(moment, is_end=is_end)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _interval_payload(interval: LocalInterval) -> dict[str, str]:
    return {
        "start": _format_time(interval.start, is_end=False),
        "end": _format_time(interval.end, is_end=True),
    }


def rules_to_payload(rules: AvailabilityRules) -> dict[str, Any]:
    """The contract's body for ``rules``; ``rules_from_payload`` gives back equal rules.

    Midnight at the end of a day is written ``"24:00"``.
    """
    return {
        "timezone": rules.timezone,
        "weeklyHours": [
            {"day": hours.day, **_interval_payload(hours.interval)} for hours in rules.weekly
        ],
        "overrides": [
            {
                "date": override.day.isoformat(),
                "intervals": [_interval_payload(interval) for interval in override.intervals],
            }
            for override in rules.overrides
        ],
        "bufferBeforeMinutes": rules.buffer_before // _MINUTE,
        "bufferAfterMinutes": rules.buffer_after // _MINUTE,
        "minNoticeMinutes": rules.min_notice // _MINUTE,
        "maxAdvanceDays": rules.max_advance // _DAY,
        "slotIntervalMinutes": rules.slot_interval // _MINUTE,
        "dailyBookingLimit": rules.daily_limit,
    }
