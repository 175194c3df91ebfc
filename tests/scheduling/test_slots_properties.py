"""Property tests of the slot engine over random rules, busy times, windows and clocks.

Zones are chosen for their awkward offsets and changes: New York and London (one-hour DST),
Kolkata (+05:30), Kathmandu (+05:45), Lord Howe (+10:30/+11, a 30-minute DST), Chatham
(+12:45/+13:45), Santiago (changes at midnight) and St John's (-03:30). Windows often start
near one of each zone's 2026 changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from klearkarma.scheduling.rules import (
    SLOT_INTERVAL_MINUTES,
    WEEKDAYS,
    AvailabilityRules,
    DateOverride,
    LocalInterval,
    WeeklyHours,
)
from klearkarma.scheduling.slots import Busy, Slot, free_slots, is_bookable, working_intervals

ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "America/St_Johns",
)
MINUTE = timedelta(minutes=1)
PROFILE = settings(max_examples=200, deadline=None)


def _changes_in_2026(key: str) -> tuple[list[date], list[int]]:
    """Local dates in 2026 on which the zone's UTC offset changes, and the wall-clock times of
    the changes (before and after) in five-minute marks of the day."""
    tz = ZoneInfo(key)
    days: list[date] = []
    walls: set[int] = set()
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year == 2026:
        following = moment + timedelta(minutes=15)
        before, after = moment.astimezone(tz), following.astimezone(tz)
        if before.utcoffset() != after.utcoffset():
            days.append(after.date())
            walls |= {(w.hour * 60 + w.minute) // 5 for w in (before, after)}
        moment = following
    return days, sorted(walls)


CHANGES = {key: _changes_in_2026(key) for key in ZONES}


def _time(minute: int) -> time:
    return time(0, 0) if minute == 24 * 60 else time(minute // 60, minute % 60)


@st.composite
def day_hours(
    draw: st.DrawFn, hot: list[int], *, focused: bool = False
) -> tuple[LocalInterval, ...]:
    """Non-overlapping intervals on a five-minute grid (possibly touching, possibly to 24:00).

    Boundaries favour the marks near the ``hot`` ones (the zone's DST changes) and the day's
    ends; ``focused`` draws them near the hot marks only.
    """
    near = st.builds(
        lambda mark, delta: min(max(mark + delta, 0), 288),
        st.sampled_from(hot or [0, 288]),
        st.integers(-6, 6) | st.integers(-36, 36),
    )
    if focused:
        # One interval around a change (with luck), then boundaries near the changes.
        low = max(draw(st.sampled_from(hot)) - draw(st.integers(0, 36)), 0)
        high = min(draw(st.sampled_from(hot)) + draw(st.integers(0, 36)), 288)
        extra = draw(st.lists(near, max_size=2))
        bounds = sorted({low, high, *extra})
    else:
        fives = st.integers(0, 288) | near | st.integers(270, 288)
        bounds = sorted(draw(st.lists(fives, unique=True, max_size=6)))
    pairs = zip(bounds[::2], bounds[1::2], strict=False)
    return tuple(LocalInterval(_time(a * 5), _time(b * 5)) for a, b in pairs)


@dataclass(frozen=True)
class Scenario:
    rules: AvailabilityRules
    busy: tuple[Busy, ...]
    first: date
    last: date
    now: datetime
    duration: timedelta

    def slots(self, zone: str | None = None, busy: tuple[Busy, ...] | None = None) -> list[Slot]:
        return free_slots(
            self.rules,
            self.busy if busy is None else busy,
            duration=self.duration,
            window_start=self.first,
            window_end=self.last,
            now=self.now,
            zone=zone or self.rules.timezone,
        )

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@st.composite
def scenarios(draw: st.DrawFn, *, dst_day: bool = False) -> Scenario:
    """Random rules, busy times, window and clock; ``dst_day`` puts the day of a DST change in
    the window with hours around the change, and keeps notice, horizon and bookings out of the
    way so that slots near the change survive."""
    key = draw(st.sampled_from([key for key in ZONES if CHANGES[key][0] or not dst_day]))
    changes, hot = CHANGES[key]
    choices = changes if dst_day else [None, *changes, *changes]
    change = draw(st.sampled_from(choices)) if changes else None
    if change is None:
        first = draw(st.dates(date(2026, 1, 2), date(2026, 12, 20)))
        last = first + timedelta(days=draw(st.integers(0, 3)))
    else:
        first = change - timedelta(days=draw(st.integers(0, 2)))
        last = max(change, first + timedelta(days=draw(st.integers(0, 3))))
    same_every_day = draw(st.booleans())
    shared = draw(day_hours(hot))
    weekly = tuple(
        WeeklyHours(day, interval)
        for day in WEEKDAYS
        for interval in (shared if same_every_day else draw(day_hours(hot)))
    )
    override_days = draw(
        st.lists(st.dates(first - timedelta(days=1), last + timedelta(days=1)), unique=True)
    )
    overrides = tuple(
        DateOverride(day, draw(day_hours(hot))) for day in override_days if day != change
    )
    if change is not None and (dst_day or draw(st.integers(0, 3))):
        # Hours whose boundaries all lie near the change, on the day of the change.
        overrides += (DateOverride(change, draw(day_hours(hot, focused=True))),)
    rules = AvailabilityRules(
        timezone=key,
        weekly=weekly,
        overrides=overrides,
        buffer_before=MINUTE * draw(st.sampled_from([0, 5, 15, 30, 240]) | st.integers(0, 240)),
        buffer_after=MINUTE * draw(st.sampled_from([0, 10, 45, 240]) | st.integers(0, 240)),
        min_notice=MINUTE
        * (0 if dst_day else draw(st.sampled_from([0, 60, 1440]) | st.integers(0, 2 * 1440))),
        max_advance=timedelta(
            days=365 if dst_day else draw(st.sampled_from([60, 365]) | st.integers(1, 10))
        ),
        slot_interval=MINUTE * draw(st.sampled_from(SLOT_INTERVAL_MINUTES)),
        daily_limit=None if dst_day else draw(st.none() | st.integers(1, 4)),
    )
    base = datetime.combine(first, time(0, 0), tzinfo=UTC)
    busy = tuple(
        Busy(
            start.astimezone(ZoneInfo(zone)),
            (start + MINUTE * length).astimezone(ZoneInfo(zone)),
            counts,
        )
        for start, length, counts, zone in draw(
            st.lists(
                st.tuples(
                    st.integers(-24 * 60, (last - first).days * 24 * 60 + 48 * 60).map(
                        lambda m: base + MINUTE * m
                    ),
                    st.integers(1, 300),
                    st.booleans(),
                    st.sampled_from(("UTC", *ZONES)),
                ),
                max_size=2 if dst_day else 12,
            )
        )
    )
    now = base + MINUTE * (-1440 if dst_day else draw(st.integers(-3 * 1440, 2 * 1440)))
    duration = MINUTE * draw(st.sampled_from([5, 15, 30, 45, 60, 90, 120, 180]))
    return Scenario(rules, busy, first, last, now, duration)


def utc(slot: Slot) -> tuple[datetime, datetime]:
    """A slot's ends in UTC: aware datetimes sharing a zone compare and subtract by wall clock
    (ignoring fold), which is wrong across a fall-back change."""
    return slot.start.astimezone(UTC), slot.end.astimezone(UTC)


def local_date(scenario: Scenario, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(scenario.rules.timezone)).date()


# A reference implementation, written the slow and obvious way: every wall time on the grid,
# both folds, a gap detected by the round trip through UTC, and every busy interval checked.


def _boundary(tz: ZoneInfo, day: date, minute: int) -> datetime:
    wall = datetime.combine(day, time(0, 0)) + MINUTE * minute
    while True:
        local = wall.replace(tzinfo=tz)
        instant = local.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall:
            return instant  # fold=0: the earlier occurrence
        wall += MINUTE  # inside a gap: the first wall time after it


def reference(scenario: Scenario) -> list[datetime]:
    rules = scenario.rules
    tz = ZoneInfo(rules.timezone)
    step = rules.slot_interval // MINUTE
    overrides = {o.day: o.intervals for o in rules.overrides}
    earliest, latest = scenario.now + rules.min_notice, scenario.now + rules.max_advance
    found: set[datetime] = set()
    for day in scenario.days():
        booked = sum(
            1
            for b in scenario.busy
            if b.count_toward_limit and local_date(scenario, b.start) == day
        )
        if rules.daily_limit is not None and booked >= rules.daily_limit:
            continue
        weekly = [w.interval for w in rules.weekly if w.day == WEEKDAYS[day.weekday()]]
        for interval in overrides.get(day, weekly):
            start = _boundary(tz, day, interval.start_minute)
            end = _boundary(tz, day, interval.end_minute)
            for minute in range(interval.start_minute % step, 24 * 60, step):
                for fold in (0, 1):
                    local = datetime.combine(day, _time(minute), tzinfo=tz).replace(fold=fold)
                    instant = local.astimezone(UTC)
                    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
                        continue  # a wall time in the gap
                    if not (start <= instant and instant + scenario.duration <= end):
                        continue
                    if not earliest <= instant <= latest:
                        continue
                    if any(
                        instant - rules.buffer_before < b.end
                        and instant + scenario.duration + rules.buffer_after > b.start
                        for b in scenario.busy
                    ):
                        continue
                    found.add(instant)
    return sorted(found)


# The properties.


@PROFILE
@given(scenarios())
def test_the_engine_matches_the_slow_reference(scenario: Scenario) -> None:
    assert [s.start for s in scenario.slots("UTC")] == reference(scenario)


@PROFILE
@given(scenarios(dst_day=True))
def test_the_engine_matches_the_slow_reference_on_dst_days(scenario: Scenario) -> None:
    assert [s.start for s in scenario.slots("UTC")] == reference(scenario)


@PROFILE
@given(scenarios())
def test_no_slot_touches_a_busy_interval_widened_by_the_buffers(scenario: Scenario) -> None:
    rules = scenario.rules
    for slot in scenario.slots():
        start, end = utc(slot)
        assert end - start == scenario.duration
        widened_start, widened_end = start - rules.buffer_before, end + rules.buffer_after
        for busy in scenario.busy:
            assert not (widened_start < busy.end and widened_end > busy.start), (slot, busy)


@PROFILE
@given(scenarios())
def test_every_slot_lies_inside_the_working_hours_of_its_local_day(scenario: Scenario) -> None:
    for slot in scenario.slots():
        start, end = utc(slot)
        day = local_date(scenario, start)
        assert scenario.first <= day <= scenario.last
        assert any(
            begin <= start and end <= finish
            for begin, finish in working_intervals(scenario.rules, day)
        ), slot


@PROFILE
@given(scenarios())
def test_notice_horizon_and_daily_limit_hold(scenario: Scenario) -> None:
    rules = scenario.rules
    for slot in scenario.slots():
        start, _ = utc(slot)
        assert start >= scenario.now + rules.min_notice
        assert start <= scenario.now + rules.max_advance
        if rules.daily_limit is not None:
            day = local_date(scenario, start)
            booked = [
                b
                for b in scenario.busy
                if b.count_toward_limit and local_date(scenario, b.start) == day
            ]
            assert len(booked) < rules.daily_limit


@PROFILE
@given(scenarios(), st.randoms(use_true_random=False))
def test_output_is_sorted_unique_and_deterministic(
    scenario: Scenario, shuffler: random.Random
) -> None:
    slots = scenario.slots()
    shuffled = list(scenario.busy)
    shuffler.shuffle(shuffled)

    starts = [utc(s) for s in slots]
    assert all(a < b for a, b in pairwise(starts))
    assert [utc(s) for s in scenario.slots()] == starts
    assert [utc(s) for s in scenario.slots(busy=tuple(shuffled))] == starts


@PROFILE
@given(scenarios(), st.sampled_from(("UTC", "America/Los_Angeles", *ZONES)))
def test_any_output_zone_gives_the_same_instants(scenario: Scenario, zone: str) -> None:
    here = scenario.slots()
    there = scenario.slots(zone)

    assert [utc(s) for s in here] == [utc(s) for s in there]
    assert all(s.start.tzinfo == s.end.tzinfo == ZoneInfo(zone) for s in there)


@PROFILE
@given(scenarios(), st.lists(st.integers(0, 4 * 288 - 1), max_size=40))
def test_is_bookable_agrees_with_free_slots(scenario: Scenario, probes: list[int]) -> None:
    slots = scenario.slots()
    offered = {utc(s)[0] for s in slots}
    tz = ZoneInfo(scenario.rules.timezone)
    window_start = datetime.combine(scenario.first, time(0, 0), tzinfo=tz).astimezone(UTC)

    def bookable(start: datetime) -> bool:
        return is_bookable(
            scenario.rules,
            scenario.busy,
            start=start,
            duration=scenario.duration,
            now=scenario.now,
        )

    for slot in slots:
        start, _ = utc(slot)
        assert bookable(slot.start), slot
        after = start + 5 * MINUTE
        # The day after the window is not listed, though it may well be open.
        if local_date(scenario, after) <= scenario.last:
            assert bookable(after) == (after in offered), slot
    # Every candidate lies on a five-minute UTC grid in these zones; probe it inside the window.
    for probe in probes:
        moment = window_start + 5 * MINUTE * probe
        if scenario.first <= local_date(scenario, moment) <= scenario.last:
            assert bookable(moment) == (moment in offered), moment
