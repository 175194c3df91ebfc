"""The slot engine: availability rules and busy intervals in, free slots out. Pure, no I/O.

Working hours are wall-clock hours in the practitioner's zone, so 09:00-17:00 in New York is
09:00-17:00 local on both sides of a DST change and the UTC instants move by an hour. Around the
changes the engine decides deliberately:

* **Nonexistent local times** (the spring-forward gap, e.g. 02:30 on 2026-03-08 in New York): a
  working-interval boundary inside the gap moves to the first real instant after the gap (03:00
  EDT). An interval that lies wholly inside the gap is empty. Candidate starts whose wall time
  falls in the gap are skipped.
* **Ambiguous local times** (the fall-back overlap, e.g. 01:30 on 2026-11-01 in New York happens
  twice): a boundary means the *earlier* occurrence (``fold=0``), so an interval lasts its real
  elapsed time (00:00-03:00 that day is four hours) and adjacent intervals never overlap. A
  candidate start at an ambiguous wall time is offered for *both* occurrences whenever each one
  lies inside the working interval with room for the whole session.

Precisely, a candidate start is any instant inside a working interval whose local wall time is
``interval start + k * slot interval`` for a whole ``k``; it becomes a slot when the session fits
before the interval ends, respects the notice and horizon, its local date is under the daily
limit, and it does not touch a busy interval widened by the buffers. ``is_bookable`` applies the
same definition to one requested start, so it always agrees with ``free_slots``.

Inside, instants are integer microseconds since the Unix epoch; that keeps the sweep to integer
arithmetic and ``bisect`` (30 days with 500 bookings takes well under a millisecond or two).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

from klearkarma.scheduling.rules import MINUTES_PER_DAY, WEEKDAYS, AvailabilityRules
from klearkarma.scheduling.rules import zone as get_zone

__all__ = ["Busy", "Slot", "free_slots", "is_bookable", "working_intervals"]

_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_MINUTE_US = 60_000_000
_DAY_US = 24 * 60 * _MINUTE_US
_SECOND_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Busy:
    """Time that cannot be booked: a booking (counts toward the daily limit) or a blocked time."""

    start: datetime
    end: datetime
    count_toward_limit: bool = True

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("Busy intervals need timezone-aware datetimes.")
        if _to_us(self.end) <= _to_us(self.start):  # in UTC: same-zone comparison ignores fold
            raise ValueError("A busy interval must end after it starts.")


@dataclass(frozen=True, slots=True)
class Slot:
    """A free slot; both ends are aware datetimes in the zone the caller asked for."""

    start: datetime
    end: datetime


# Instants as integer microseconds.


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _from_us(instant: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=instant)).astimezone(tz)


def _offset_us(tz: ZoneInfo, instant: int) -> int:
    offset = _from_us(instant, tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset // _US


def _wall_us(day: date) -> int:
    """Local midnight of ``day`` as if the wall clock were UTC (add minutes, subtract offsets)."""
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US


def _transition(tz: ZoneInfo, before: int, after: int) -> int:
    """The first instant in (before, after] that has ``after``'s UTC offset.

    ``before`` and ``after`` must have different offsets with one transition between them;
    tzdb transitions fall on whole seconds, so the search runs over seconds.
    """
    target = _offset_us(tz, after)
    low, high = before // _SECOND_US, -(-after // _SECOND_US)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_us(tz, middle * _SECOND_US) == target:
            high = middle
        else:
            low = middle
    return high * _SECOND_US


def _resolve(tz: ZoneInfo, day: date, minute: int) -> int:
    """The instant a working-interval boundary means (see the module docstring).

    ``minute`` may be ``MINUTES_PER_DAY``: the midnight that ends ``day``. An ambiguous wall time
    resolves to its earlier occurrence; a wall time in a gap to the first instant after the gap.
    """
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
    instant = _to_us(local)  # fold=0: the earlier occurrence
    if _from_us(instant, tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap fold=1 applies the offset after the change, which lands before the gap.
    return _transition(tz, _to_us(local.replace(fold=1)), instant)


# The working day.


@dataclass(frozen=True, slots=True)
class _Span:
    """Part of a working interval with one UTC offset: instants in [start, end).

    ``anchor`` is the interval's starting wall time read with this span's offset; candidates in
    the span are ``anchor + k * step``.
    """

    start: int
    end: int
    anchor: int


@dataclass(frozen=True, slots=True)
class _Window:
    """A working interval as real instants [start, end), split where the offset changes."""

    start: int
    end: int
    spans: tuple[_Span, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """The rules compiled for one call: minutes of the day per weekday and per override date."""

    tz: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    overrides: dict[date, tuple[tuple[int, int], ...]]


def _plan(rules: AvailabilityRules) -> _Plan:
    weekly: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for hours in rules.weekly:
        weekly[WEEKDAYS.index(hours.day)].append(
            (hours.interval.start_minute, hours.interval.end_minute)
        )
    return _Plan(
        tz=get_zone(rules.timezone),
        weekly=tuple(tuple(sorted(day)) for day in weekly),
        overrides={
            override.day: tuple(
                sorted((iv.start_minute, iv.end_minute) for iv in override.intervals)
            )
            for override in rules.overrides
        },
    )


def _windows(plan: _Plan, day: date) -> list[_Window]:
    """The day's working intervals as instants, in order; empty ones (inside a gap) dropped.

    Assumes at most one offset change inside any one working interval, which holds for every
    zone in tzdb (changes are months apart).
    """
    intervals = plan.overrides.get(day)
    if intervals is None:
        intervals = plan.weekly[day.weekday()]
    windows: list[_Window] = []
    midnight = _wall_us(day)
    for first, last in intervals:
        start, end = _resolve(plan.tz, day, first), _resolve(plan.tz, day, last)
        if end <= start:
            continue
        anchor = midnight + first * _MINUTE_US
        offset_start, offset_end = _offset_us(plan.tz, start), _offset_us(plan.tz, end - 1)
        if offset_start == offset_end:
            spans: tuple[_Span, ...] = (_Span(start, end, anchor - offset_start),)
        else:
            change = _transition(plan.tz, start, end - 1)
            spans = (
                _Span(start, change, anchor - offset_start),
                _Span(change, end, anchor - offset_end),
            )
        windows.append(_Window(start, end, spans))
    return windows


# The decision, shared by free_slots and is_bookable.


@dataclass(frozen=True, slots=True)
class _Decider:
    """Everything about one request except the day: limits, buffers, the busy index."""

    step: int
    duration: int
    earliest: int
    latest: int
    widen_before: int
    widen_after: int
    # Busy intervals merged into disjoint, sorted [start, end) runs.
    busy_starts: list[int]
    busy_ends: list[int]

    def candidates(self, window: _Window) -> Iterator[int]:
        """Candidate starts in the window that fit, within notice and horizon, in order."""
        last_start = min(window.end - self.duration, self.latest)
        for span in window.spans:
            low, high = max(span.start, self.earliest), min(span.end - 1, last_start)
            if low > high:
                continue
            first = span.anchor - (span.anchor - low) // self.step * self.step
            yield from range(first, high + 1, self.step)

    def is_candidate(self, window: _Window, start: int) -> bool:
        if not (self.earliest <= start <= self.latest and start + self.duration <= window.end):
            return False
        return any(
            span.start <= start < span.end and (start - span.anchor) % self.step == 0
            for span in window.spans
        )

    def is_free(self, start: int) -> bool:
        """No busy run overlaps [start - buffer before, end + buffer after)."""
        i = bisect_right(self.busy_ends, start - self.widen_before)
        return i == len(self.busy_starts) or (
            self.busy_starts[i] >= start + self.duration + self.widen_after
        )


def _decider(
    rules: AvailabilityRules, busy: Sequence[Busy], duration: timedelta, now: datetime
) -> _Decider:
    if duration <= timedelta(0):
        raise ValueError("The duration must be positive.")
    if now.utcoffset() is None:
        raise ValueError("'now' must be timezone-aware.")
    starts: list[int] = []
    ends: list[int] = []
    for begin, finish in sorted((_to_us(b.start), _to_us(b.end)) for b in busy):
        if ends and begin <= ends[-1]:
            ends[-1] = max(ends[-1], finish)
        else:
            starts.append(begin)
            ends.append(finish)
    current = _to_us(now)
    return _Decider(
        step=rules.slot_interval // _US,
        duration=duration // _US,
        earliest=current + rules.min_notice // _US,
        latest=current + rules.max_advance // _US,
        widen_before=rules.buffer_before // _US,
        widen_after=rules.buffer_after // _US,
        busy_starts=starts,
        busy_ends=ends,
    )


def _counted_starts(busy: Sequence[Busy]) -> list[int]:
    return sorted(_to_us(b.start) for b in busy if b.count_toward_limit)


def _at_limit(rules: AvailabilityRules, counted: list[int], day_start: int, day_end: int) -> bool:
    """Whether the bookings starting in [day_start, day_end) reach the daily limit."""
    if rules.daily_limit is None:
        return False
    booked = bisect_left(counted, day_end) - bisect_left(counted, day_start)
    return booked >= rules.daily_limit


# The public functions.


def free_slots(
    rules: AvailabilityRules,
    busy: Sequence[Busy],
    *,
    duration: timedelta,
    window_start: date,
    window_end: date,
    now: datetime,
    zone: str,
) -> list[Slot]:
    """Free slots of ``duration`` on the local dates window_start..window_end (inclusive).

    Dates are in the practitioner's zone (``rules.timezone``); the slots are rendered in
    ``zone`` (any IANA zone) and are the same instants whatever it is. The result is sorted by
    start, has no duplicates and depends only on the arguments (not on the order of ``busy``).
    """
    out_zone = get_zone(zone)
    plan = _plan(rules)
    decide = _decider(rules, busy, duration, now)
    counted = _counted_starts(busy)
    found: list[int] = []
    day = window_start
    day_start = _resolve(plan.tz, day, 0)
    while day <= window_end:
        day_end = _resolve(plan.tz, day, MINUTES_PER_DAY)
        if day_start > decide.latest:
            break
        if day_end > decide.earliest and not _at_limit(rules, counted, day_start, day_end):
            for window in _windows(plan, day):
                found.extend(start for start in decide.candidates(window) if decide.is_free(start))
        day, day_start = day + timedelta(days=1), day_end
    if any(later <= earlier for earlier, later in pairwise(found)):
        found = sorted(set(found))  # unreachable with valid rules; kept as a guarantee
    return [
        Slot(_from_us(start, out_zone), _from_us(start + decide.duration, out_zone))
        for start in found
    ]


def is_bookable(
    rules: AvailabilityRules,
    busy: Sequence[Busy],
    *,
    start: datetime,
    duration: timedelta,
    now: datetime,
) -> bool:
    """Whether a session of ``duration`` may start at ``start``: exactly when ``free_slots``
    would offer that start for the start's local date."""
    if start.utcoffset() is None:
        raise ValueError("'start' must be timezone-aware.")
    plan = _plan(rules)
    decide = _decider(rules, busy, duration, now)
    instant = _to_us(start)
    day = _from_us(instant, plan.tz).date()
    day_start, day_end = _resolve(plan.tz, day, 0), _resolve(plan.tz, day, MINUTES_PER_DAY)
    if _at_limit(rules, _counted_starts(busy), day_start, day_end):
        return False
    return any(
        decide.is_candidate(window, instant) for window in _windows(plan, day)
    ) and decide.is_free(instant)


def working_intervals(rules: AvailabilityRules, day: date) -> list[tuple[datetime, datetime]]:
    """The real instants (UTC) that a local date's working hours cover, in order.

    Overrides replace the weekly hours for their date; the DST handling is the module's.
    """
    plan = _plan(rules)
    return [(_from_us(w.start, UTC), _from_us(w.end, UTC)) for w in _windows(plan, day)]
