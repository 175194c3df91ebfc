"""The slot engine and the availability rules, with exact expected slots.

Expected instants are written as ISO strings with their offsets, so a wrong UTC offset shows up
directly in the assertion message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from klearkarma.scheduling.rules import (
    WEEKDAYS,
    AvailabilityRules,
    DateOverride,
    LocalInterval,
    RulesError,
    WeeklyHours,
    rules_from_payload,
    rules_to_payload,
)
from klearkarma.scheduling.slots import Busy, Slot, free_slots, is_bookable, working_intervals

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def hours(text: str) -> LocalInterval:
    start, end = text.split("-")
    return LocalInterval(
        time.fromisoformat(start), time(0, 0) if end == "24:00" else time.fromisoformat(end)
    )


def every_day(tz: str, *intervals: str, **options: Any) -> AvailabilityRules:
    """Rules with the same hours on all seven days; a year of horizon unless told otherwise."""
    options.setdefault("max_advance", timedelta(days=365))
    weekly = tuple(WeeklyHours(day, hours(text)) for day in WEEKDAYS for text in intervals)
    return AvailabilityRules(timezone=tz, weekly=weekly, **options)


def find(
    rules: AvailabilityRules,
    first: date,
    last: date | None = None,
    *,
    busy: tuple[Busy, ...] = (),
    minutes: int = 60,
    now: datetime = LONG_AGO,
    zone: str | None = None,
) -> list[Slot]:
    return free_slots(
        rules,
        busy,
        duration=timedelta(minutes=minutes),
        window_start=first,
        window_end=last or first,
        now=now,
        zone=zone or rules.timezone,
    )


def starts(slots: list[Slot]) -> list[str]:
    return [slot.start.isoformat() for slot in slots]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utc_pairs(rules: AvailabilityRules, day: date) -> list[tuple[str, str]]:
    return [(s.isoformat(), e.isoformat()) for s, e in working_intervals(rules, day)]


# Plain days and odd offsets.


def test_a_plain_kolkata_day_in_the_practitioners_zone() -> None:
    rules = every_day("Asia/Kolkata", "09:00-12:00")

    slots = find(rules, date(2026, 7, 15))

    assert starts(slots) == [
        "2026-07-15T09:00:00+05:30",
        "2026-07-15T09:30:00+05:30",
        "2026-07-15T10:00:00+05:30",
        "2026-07-15T10:30:00+05:30",
        "2026-07-15T11:00:00+05:30",
    ]
    assert [slot.end.isoformat() for slot in slots][-1] == "2026-07-15T12:00:00+05:30"


def test_a_kolkata_day_rendered_in_london_and_los_angeles_is_the_same_instants() -> None:
    rules = every_day("Asia/Kolkata", "09:00-12:00")

    kolkata = find(rules, date(2026, 7, 15))
    london = find(rules, date(2026, 7, 15), zone="Europe/London")
    los_angeles = find(rules, date(2026, 7, 15), zone="America/Los_Angeles")

    assert starts(london) == [
        "2026-07-15T04:30:00+01:00",
        "2026-07-15T05:00:00+01:00",
        "2026-07-15T05:30:00+01:00",
        "2026-07-15T06:00:00+01:00",
        "2026-07-15T06:30:00+01:00",
    ]
    assert starts(los_angeles) == [
        "2026-07-14T20:30:00-07:00",
        "2026-07-14T21:00:00-07:00",
        "2026-07-14T21:30:00-07:00",
        "2026-07-14T22:00:00-07:00",
        "2026-07-14T22:30:00-07:00",
    ]
    assert [(s.start, s.end) for s in kolkata] == [(s.start, s.end) for s in london]
    assert [(s.start, s.end) for s in kolkata] == [(s.start, s.end) for s in los_angeles]


def test_kathmandu_quarter_hour_offset() -> None:
    rules = every_day("Asia/Kathmandu", "09:00-11:00", slot_interval=timedelta(minutes=45))

    slots = find(rules, date(2026, 5, 4), minutes=45)

    assert starts(slots) == ["2026-05-04T09:00:00+05:45", "2026-05-04T09:45:00+05:45"]
    assert [s.start.astimezone(UTC).isoformat() for s in slots] == [
        "2026-05-04T03:15:00+00:00",
        "2026-05-04T04:00:00+00:00",
    ]
    assert utc_pairs(rules, date(2026, 5, 4)) == [
        ("2026-05-04T03:15:00+00:00", "2026-05-04T05:15:00+00:00")
    ]


# Daylight-saving changes.


def test_new_york_spring_forward_keeps_wall_clock_hours() -> None:
    rules = every_day("America/New_York", "09:00-10:00")

    slots = find(rules, date(2026, 3, 7), date(2026, 3, 8))

    assert starts(slots) == ["2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00"]
    assert [s.start.astimezone(UTC).hour for s in slots] == [14, 13]


def test_new_york_spring_forward_interval_straddling_the_gap() -> None:
    # 02:00-03:00 does not exist on 2026-03-08: 01:00-04:00 is two real hours.
    rules = every_day("America/New_York", "01:00-04:00")

    slots = find(rules, date(2026, 3, 8))

    assert utc_pairs(rules, date(2026, 3, 8)) == [
        ("2026-03-08T06:00:00+00:00", "2026-03-08T08:00:00+00:00")
    ]
    # 02:00 and 02:30 fall in the gap and are skipped; every slot is a real hour long.
    assert [(s.start.isoformat(), s.end.isoformat()) for s in slots] == [
        ("2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"),
        ("2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00"),
        ("2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"),
    ]


def test_a_boundary_inside_the_gap_moves_to_the_end_of_the_gap() -> None:
    rules = every_day(
        "America/New_York", "00:00-02:30", "02:30-05:00", slot_interval=timedelta(minutes=45)
    )

    slots = find(rules, date(2026, 3, 8), minutes=45)

    # 02:30 does not exist; both intervals meet at 03:00 EDT, the first instant after the gap.
    assert utc_pairs(rules, date(2026, 3, 8)) == [
        ("2026-03-08T05:00:00+00:00", "2026-03-08T07:00:00+00:00"),
        ("2026-03-08T07:00:00+00:00", "2026-03-08T09:00:00+00:00"),
    ]
    # The grid stays anchored on each interval's wall-clock start: 00:00, 00:45 (01:30 EST would
    # end after 03:00 EDT); then 02:30 (in the gap, skipped), 03:15, 04:00.
    assert starts(slots) == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T00:45:00-05:00",
        "2026-03-08T03:15:00-04:00",
        "2026-03-08T04:00:00-04:00",
    ]


def test_a_grid_that_does_not_divide_the_gap_stays_on_the_wall_clock() -> None:
    rules = every_day("America/New_York", "01:00-05:00", slot_interval=timedelta(minutes=45))

    slots = find(rules, date(2026, 3, 8), minutes=45)

    # Wall clock 01:00, 01:45, 02:30 (in the gap: skipped), 03:15, 04:00.
    assert starts(slots) == [
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T01:45:00-05:00",
        "2026-03-08T03:15:00-04:00",
        "2026-03-08T04:00:00-04:00",
    ]


def test_lord_howe_half_hour_spring_forward() -> None:
    # On 2026-10-04 clocks go from 02:00 (+10:30) to 02:30 (+11:00).
    rules = every_day("Australia/Lord_Howe", "01:00-04:00", slot_interval=timedelta(minutes=60))

    slots = find(rules, date(2026, 10, 4))

    assert utc_pairs(rules, date(2026, 10, 4)) == [
        ("2026-10-03T14:30:00+00:00", "2026-10-03T17:00:00+00:00")
    ]
    assert [(s.start.isoformat(), s.end.isoformat()) for s in slots] == [
        ("2026-10-04T01:00:00+10:30", "2026-10-04T02:30:00+11:00"),
        ("2026-10-04T03:00:00+11:00", "2026-10-04T04:00:00+11:00"),
    ]


def test_lord_howe_half_hour_fall_back() -> None:
    # On 2026-04-05 clocks go from 02:00 (+11:00) back to 01:30 (+10:30).
    rules = every_day("Australia/Lord_Howe", "00:00-03:00")

    slots = find(rules, date(2026, 4, 5), minutes=30)

    assert utc_pairs(rules, date(2026, 4, 5)) == [
        ("2026-04-04T13:00:00+00:00", "2026-04-04T16:30:00+00:00")
    ]
    assert starts(slots) == [
        "2026-04-05T00:00:00+11:00",
        "2026-04-05T00:30:00+11:00",
        "2026-04-05T01:00:00+11:00",
        "2026-04-05T01:30:00+11:00",
        "2026-04-05T01:30:00+10:30",
        "2026-04-05T02:00:00+10:30",
        "2026-04-05T02:30:00+10:30",
    ]


def test_an_interval_wholly_inside_the_gap_is_empty() -> None:
    rules = every_day("America/New_York", "02:00-02:45")

    assert working_intervals(rules, date(2026, 3, 8)) == []
    assert find(rules, date(2026, 3, 8), minutes=15) == []
    assert len(find(rules, date(2026, 3, 9), minutes=15)) == 2


def test_new_york_fall_back_interval_lasts_its_real_time_and_offers_both_occurrences() -> None:
    # 01:00-02:00 happens twice on 2026-11-01: 00:00-03:00 is four real hours.
    rules = every_day("America/New_York", "00:00-03:00")

    slots = find(rules, date(2026, 11, 1))

    assert utc_pairs(rules, date(2026, 11, 1)) == [
        ("2026-11-01T04:00:00+00:00", "2026-11-01T08:00:00+00:00")
    ]
    assert [(s.start.isoformat(), s.end.isoformat()) for s in slots] == [
        ("2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00"),
        ("2026-11-01T00:30:00-04:00", "2026-11-01T01:30:00-04:00"),
        ("2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"),
        ("2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"),
        ("2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"),
        ("2026-11-01T01:30:00-05:00", "2026-11-01T02:30:00-05:00"),
        ("2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"),
    ]
    assert [s.start.astimezone(UTC).strftime("%H:%M") for s in slots] == [
        "04:00",
        "04:30",
        "05:00",
        "05:30",
        "06:00",
        "06:30",
        "07:00",
    ]


def test_an_ambiguous_boundary_means_its_earlier_occurrence() -> None:
    rules = every_day("America/New_York", "00:00-01:30", "01:30-03:00")

    # The first interval ends, and the second starts, at 01:30 EDT: they do not overlap.
    assert utc_pairs(rules, date(2026, 11, 1)) == [
        ("2026-11-01T04:00:00+00:00", "2026-11-01T05:30:00+00:00"),
        ("2026-11-01T05:30:00+00:00", "2026-11-01T08:00:00+00:00"),
    ]
    # Half-hour sessions: 01:00 EST (a second occurrence) lies inside the second interval.
    assert starts(find(rules, date(2026, 11, 1), minutes=30)) == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ]


def test_london_spring_forward() -> None:
    rules = every_day("Europe/London", "00:30-02:30", "09:00-10:00")

    slots = find(rules, date(2026, 3, 28), date(2026, 3, 29), minutes=30)

    # 01:00-02:00 does not exist on 2026-03-29, so 00:30-02:30 is one real hour.
    assert utc_pairs(rules, date(2026, 3, 29)) == [
        ("2026-03-29T00:30:00+00:00", "2026-03-29T01:30:00+00:00"),
        ("2026-03-29T08:00:00+00:00", "2026-03-29T09:00:00+00:00"),
    ]
    assert starts(slots)[-5:] == [
        "2026-03-28T09:30:00+00:00",
        "2026-03-29T00:30:00+00:00",
        "2026-03-29T02:00:00+01:00",
        "2026-03-29T09:00:00+01:00",
        "2026-03-29T09:30:00+01:00",
    ]


# Overrides, busy times, buffers.


def test_an_override_replaces_the_weekly_hours_for_its_date() -> None:
    rules = every_day(
        "Asia/Kolkata",
        "09:00-12:00",
        slot_interval=timedelta(minutes=60),
        overrides=(DateOverride(date(2026, 7, 15), (hours("14:00-16:00"),)),),
    )

    slots = find(rules, date(2026, 7, 14), date(2026, 7, 16))

    assert starts(slots) == [
        "2026-07-14T09:00:00+05:30",
        "2026-07-14T10:00:00+05:30",
        "2026-07-14T11:00:00+05:30",
        "2026-07-15T14:00:00+05:30",
        "2026-07-15T15:00:00+05:30",
        "2026-07-16T09:00:00+05:30",
        "2026-07-16T10:00:00+05:30",
        "2026-07-16T11:00:00+05:30",
    ]


def test_an_override_without_intervals_is_a_day_off() -> None:
    rules = every_day(
        "Asia/Kolkata",
        "09:00-11:00",
        slot_interval=timedelta(minutes=60),
        overrides=(DateOverride(date(2026, 12, 25), ()),),
    )

    slots = find(rules, date(2026, 12, 24), date(2026, 12, 26))

    assert working_intervals(rules, date(2026, 12, 25)) == []
    assert [s.start.date().isoformat() for s in slots] == [
        "2026-12-24",
        "2026-12-24",
        "2026-12-26",
        "2026-12-26",
    ]


def test_blocked_times_remove_the_slots_they_touch() -> None:
    rules = every_day("Asia/Kolkata", "09:00-13:00", slot_interval=timedelta(minutes=60))
    block = Busy(
        at("2026-07-15T10:15:00+05:30"), at("2026-07-15T10:45:00+05:30"), count_toward_limit=False
    )

    slots = find(rules, date(2026, 7, 15), busy=(block,))

    assert starts(slots) == [
        "2026-07-15T09:00:00+05:30",
        "2026-07-15T11:00:00+05:30",
        "2026-07-15T12:00:00+05:30",
    ]


def test_half_open_edges_a_slot_may_end_when_a_booking_starts_and_start_when_it_ends() -> None:
    rules = every_day("Asia/Kolkata", "09:00-12:00")
    booking = Busy(at("2026-07-15T10:00:00+05:30"), at("2026-07-15T11:00:00+05:30"))

    slots = find(rules, date(2026, 7, 15), busy=(booking,))

    assert starts(slots) == ["2026-07-15T09:00:00+05:30", "2026-07-15T11:00:00+05:30"]


def test_buffers_widen_each_slot_before_and_after() -> None:
    rules = every_day(
        "Asia/Kolkata",
        "09:00-14:00",
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=30),
    )
    # Given a booking at 11:00-12:00 given in UTC,
    booking = Busy(at("2026-07-15T05:30:00+00:00"), at("2026-07-15T06:30:00+00:00"))

    slots = find(rules, date(2026, 7, 15), busy=(booking,))

    # 09:30-10:30 plus 30 minutes after ends exactly at 11:00: free. 12:30 minus 15 is 12:15: free.
    assert starts(slots) == [
        "2026-07-15T09:00:00+05:30",
        "2026-07-15T09:30:00+05:30",
        "2026-07-15T12:30:00+05:30",
        "2026-07-15T13:00:00+05:30",
    ]


def test_busy_intervals_in_any_order_and_zone_give_the_same_answer() -> None:
    rules = every_day("Asia/Kolkata", "09:00-17:00", slot_interval=timedelta(minutes=15))
    busy = (
        Busy(at("2026-07-15T10:00:00+05:30"), at("2026-07-15T11:00:00+05:30")),
        Busy(at("2026-07-15T06:00:00+00:00"), at("2026-07-15T07:00:00+00:00")),
        Busy(at("2026-07-15T03:30:00-04:00"), at("2026-07-15T04:15:00-04:00"), False),
    )

    forward = find(rules, date(2026, 7, 15), busy=busy)
    backward = find(rules, date(2026, 7, 15), busy=busy[::-1])

    assert forward == backward
    # Busy in local time: 10:00-11:00, 11:30-12:30 and (blocked) 13:00-13:45.
    assert starts(forward)[:3] == [
        "2026-07-15T09:00:00+05:30",
        "2026-07-15T13:45:00+05:30",
        "2026-07-15T14:00:00+05:30",
    ]


# Notice, horizon, daily limit.


def test_minimum_notice() -> None:
    rules = every_day("Asia/Kolkata", "09:00-12:00", min_notice=timedelta(minutes=60))

    early = find(rules, date(2026, 7, 15), now=at("2026-07-15T09:10:00+05:30"))
    exact = find(rules, date(2026, 7, 15), now=at("2026-07-15T09:00:00+05:30"))

    assert starts(early) == ["2026-07-15T10:30:00+05:30", "2026-07-15T11:00:00+05:30"]
    assert starts(exact)[0] == "2026-07-15T10:00:00+05:30"


def test_the_horizon_is_inclusive_and_nothing_is_offered_beyond_it() -> None:
    rules = every_day(
        "Asia/Kolkata",
        "09:00-12:00",
        slot_interval=timedelta(minutes=60),
        max_advance=timedelta(days=2),
    )

    slots = find(rules, date(2026, 7, 15), date(2026, 7, 18), now=at("2026-07-15T10:00:00+05:30"))

    assert starts(slots) == [
        "2026-07-15T10:00:00+05:30",
        "2026-07-15T11:00:00+05:30",
        "2026-07-16T09:00:00+05:30",
        "2026-07-16T10:00:00+05:30",
        "2026-07-16T11:00:00+05:30",
        "2026-07-17T09:00:00+05:30",
        "2026-07-17T10:00:00+05:30",
    ]


def test_a_day_at_its_booking_limit_offers_nothing() -> None:
    rules = every_day(
        "Asia/Kolkata", "09:00-12:00", slot_interval=timedelta(minutes=60), daily_limit=2
    )
    busy = (
        # Two bookings on the 15th: the limit is reached.
        Busy(at("2026-07-15T09:00:00+05:30"), at("2026-07-15T10:00:00+05:30")),
        Busy(at("2026-07-15T22:00:00+05:30"), at("2026-07-15T23:00:00+05:30")),
        # On the 16th (local date, although it is still the 15th in UTC) one booking and a
        # blocked time, which does not count.
        Busy(at("2026-07-16T01:00:00+05:30"), at("2026-07-16T02:00:00+05:30")),
        Busy(at("2026-07-16T10:00:00+05:30"), at("2026-07-16T11:00:00+05:30"), False),
    )

    slots = find(rules, date(2026, 7, 15), date(2026, 7, 16), busy=busy)

    assert starts(slots) == ["2026-07-16T09:00:00+05:30", "2026-07-16T11:00:00+05:30"]
    assert not is_bookable(
        rules,
        busy,
        start=at("2026-07-15T11:00:00+05:30"),
        duration=timedelta(hours=1),
        now=LONG_AGO,
    )


# is_bookable agrees with free_slots.


def test_is_bookable_agrees_with_free_slots_on_every_five_minutes() -> None:
    rules = every_day(
        "America/New_York",
        "00:00-03:00",
        "09:00-12:00",
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=20),
        min_notice=timedelta(hours=2),
        slot_interval=timedelta(minutes=15),
        daily_limit=3,
    )
    busy = (
        Busy(at("2026-11-01T01:15:00-05:00"), at("2026-11-01T01:45:00-05:00")),
        Busy(at("2026-11-01T10:00:00-05:00"), at("2026-11-01T10:30:00-05:00"), False),
        Busy(at("2026-10-31T09:00:00-04:00"), at("2026-10-31T09:30:00-04:00")),
    )
    now = at("2026-10-31T08:20:00-04:00")
    duration = timedelta(minutes=45)
    offered = {
        s.start
        for s in free_slots(
            rules,
            busy,
            duration=duration,
            window_start=date(2026, 10, 31),
            window_end=date(2026, 11, 1),
            now=now,
            zone="UTC",
        )
    }
    moment = at("2026-10-31T00:00:00-04:00")
    checked = 0

    while moment < at("2026-11-02T00:00:00-05:00"):
        bookable = is_bookable(rules, busy, start=moment, duration=duration, now=now)
        assert bookable == (moment in offered), moment
        moment += timedelta(minutes=5)
        checked += 1

    assert checked == 49 * 12
    assert at("2026-11-01T01:00:00-04:00") in offered
    assert at("2026-11-01T02:00:00-05:00") in offered


def test_is_bookable_refuses_off_grid_starts_and_accepts_a_second_occurrence() -> None:
    rules = every_day("America/New_York", "00:00-03:00")
    hour = timedelta(hours=1)

    def bookable(text: str) -> bool:
        return is_bookable(rules, (), start=at(text), duration=hour, now=LONG_AGO)

    assert bookable("2026-11-01T01:30:00-05:00")
    assert bookable("2026-11-01T06:30:00+00:00")
    assert not bookable("2026-11-01T01:10:00-05:00")
    assert not bookable("2026-11-01T02:30:00-05:00")  # would end at 03:30, after hours


# Input checks.


def test_bad_inputs_are_refused() -> None:
    rules = every_day("Asia/Kolkata", "09:00-12:00")
    hour = timedelta(hours=1)

    with pytest.raises(ValueError, match="aware"):
        find(rules, date(2026, 7, 15), now=datetime(2026, 7, 1))
    with pytest.raises(ValueError, match="Unknown IANA time zone"):
        find(rules, date(2026, 7, 15), zone="Mars/Olympus")
    with pytest.raises(ValueError, match="positive"):
        find(rules, date(2026, 7, 15), minutes=0)
    with pytest.raises(ValueError, match="aware"):
        Busy(datetime(2026, 7, 15, 9), datetime(2026, 7, 15, 10))
    with pytest.raises(ValueError, match="end after"):
        Busy(at("2026-07-15T10:00:00+00:00"), at("2026-07-15T10:00:00+00:00"))
    with pytest.raises(ValueError, match="aware"):
        is_bookable(rules, (), start=datetime(2026, 7, 15, 9), duration=hour, now=LONG_AGO)
    assert find(rules, date(2026, 7, 15), date(2026, 7, 14)) == []


def test_rule_values_are_checked_on_construction() -> None:
    with pytest.raises(ValueError, match="after the start"):
        LocalInterval(time(10, 0), time(9, 0))
    with pytest.raises(ValueError, match="whole minute"):
        LocalInterval(time(9, 0, 30), time(10, 0))
    assert LocalInterval(time(0, 0), time(0, 0)).end_minute == 24 * 60  # the whole day
    with pytest.raises(RulesError) as bad_zone:
        AvailabilityRules(timezone="Mars/Olympus", weekly=())
    with pytest.raises(RulesError) as overlapping:
        AvailabilityRules(
            timezone="UTC",
            weekly=(
                WeeklyHours("monday", hours("09:00-12:00")),
                WeeklyHours("monday", hours("11:00-13:00")),
                WeeklyHours("tuesday", hours("11:00-13:00")),
            ),
            slot_interval=timedelta(minutes=7),
        )

    assert bad_zone.value.errors == [("timezone", "Use an IANA time zone such as Asia/Kolkata.")]
    assert overlapping.value.errors == [
        ("slotIntervalMinutes", "Must be one of 5, 10, 15, 20, 30, 45, 60, 90, 120 minutes."),
        ("weeklyHours[1]", "Overlaps weeklyHours[0]."),
    ]


# The payload.

PAYLOAD: dict[str, Any] = {
    "timezone": "America/New_York",
    "weeklyHours": [
        {"day": "monday", "start": "09:00", "end": "12:00"},
        {"day": "monday", "start": "13:00", "end": "17:30"},
        {"day": "saturday", "start": "20:00", "end": "24:00"},
    ],
    "overrides": [
        {"date": "2026-12-25", "intervals": []},
        {"date": "2026-12-26", "intervals": [{"start": "10:00", "end": "11:00"}]},
    ],
    "bufferBeforeMinutes": 10,
    "bufferAfterMinutes": 15,
    "minNoticeMinutes": 240,
    "maxAdvanceDays": 90,
    "slotIntervalMinutes": 45,
    "dailyBookingLimit": 6,
}


def test_the_payload_round_trips() -> None:
    rules = rules_from_payload(PAYLOAD)

    assert rules == AvailabilityRules(
        timezone="America/New_York",
        weekly=(
            WeeklyHours("monday", hours("09:00-12:00")),
            WeeklyHours("monday", hours("13:00-17:30")),
            WeeklyHours("saturday", LocalInterval(time(20, 0), time(0, 0))),
        ),
        overrides=(
            DateOverride(date(2026, 12, 25), ()),
            DateOverride(date(2026, 12, 26), (hours("10:00-11:00"),)),
        ),
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=15),
        min_notice=timedelta(hours=4),
        max_advance=timedelta(days=90),
        slot_interval=timedelta(minutes=45),
        daily_limit=6,
    )
    assert rules_to_payload(rules) == PAYLOAD
    assert rules_from_payload(rules_to_payload(rules)) == rules


def test_optional_payload_fields_take_the_defaults() -> None:
    rules = rules_from_payload({"timezone": "Asia/Kolkata", "weeklyHours": []})

    assert rules == AvailabilityRules(timezone="Asia/Kolkata", weekly=())
    assert rules_to_payload(rules) == {
        "timezone": "Asia/Kolkata",
        "weeklyHours": [],
        "overrides": [],
        "bufferBeforeMinutes": 0,
        "bufferAfterMinutes": 0,
        "minNoticeMinutes": 0,
        "maxAdvanceDays": 60,
        "slotIntervalMinutes": 30,
        "dailyBookingLimit": None,
    }


def test_payload_errors_name_every_offending_field() -> None:
    bad = {
        "timezone": "Mars/Olympus",
        "weeklyHours": [
            {"day": "monday", "start": "09:00", "end": "12:00"},
            {"day": "monday", "start": "11:00", "end": "13:00"},
            {"day": "Funday", "start": "10:00", "end": "09:00"},
            {"day": "tuesday", "start": "9:00", "end": "24:00"},
            {"day": "wednesday", "start": "24:00", "end": "24:00"},
            "thursday 9-5",
        ],
        "overrides": [
            {"date": "2026-12-25", "intervals": []},
            {
                "date": "2026-12-25",
                "intervals": [
                    {"start": "10:00", "end": "11:00"},
                    {"start": "10:30", "end": "12:00"},
                ],
            },
            {"date": "2026-02-30", "intervals": []},
            {"date": "2026-12-31"},
        ],
        "bufferBeforeMinutes": 241,
        "bufferAfterMinutes": -1,
        "minNoticeMinutes": 43201,
        "maxAdvanceDays": 0,
        "slotIntervalMinutes": 7,
        "dailyBookingLimit": 51,
    }

    with pytest.raises(RulesError) as raised:
        rules_from_payload(bad)

    errors = dict(raised.value.errors)
    assert sorted(errors) == sorted(
        [
            "timezone",
            "weeklyHours[1]",
            "weeklyHours[2].day",
            "weeklyHours[2].end",
            "weeklyHours[3].start",
            "weeklyHours[4].start",
            "weeklyHours[5]",
            "overrides[1].date",
            "overrides[1].intervals[1]",
            "overrides[2].date",
            "overrides[3].intervals",
            "bufferBeforeMinutes",
            "bufferAfterMinutes",
            "minNoticeMinutes",
            "maxAdvanceDays",
            "slotIntervalMinutes",
            "dailyBookingLimit",
        ]
    )
    assert len(raised.value.errors) == len(errors)
    assert errors["weeklyHours[1]"] == "Overlaps weeklyHours[0]."
    assert errors["weeklyHours[2].end"] == "The end must be after the start."
    assert errors["overrides[1].date"] == "There is already an override for 2026-12-25."
    assert errors["overrides[1].intervals[1]"] == "Overlaps overrides[1].intervals[0]."
    assert errors["bufferBeforeMinutes"] == "Must be between 0 and 240 minutes."
    assert errors["maxAdvanceDays"] == "Must be between 1 and 365 whole days."
    assert errors["dailyBookingLimit"] == "Must be between 1 and 50, or null."


def test_payload_types_and_required_fields() -> None:
    with pytest.raises(RulesError) as missing:
        rules_from_payload({})
    with pytest.raises(RulesError) as wrong_types:
        rules_from_payload(
            {
                "timezone": "UTC",
                "weeklyHours": {"monday": "09:00-17:00"},
                "overrides": None,
                "bufferBeforeMinutes": "15",
                "bufferAfterMinutes": True,
                "minNoticeMinutes": 1.5,
                "dailyBookingLimit": None,
            }
        )

    assert missing.value.errors == [
        ("weeklyHours", "Required: a list."),
        ("timezone", "Use an IANA time zone such as Asia/Kolkata."),
    ]
    assert wrong_types.value.errors == [
        ("weeklyHours", "Must be a list."),
        ("overrides", "Must be a list."),
        ("bufferBeforeMinutes", "Must be a whole number."),
        ("bufferAfterMinutes", "Must be a whole number."),
        ("minNoticeMinutes", "Must be a whole number."),
    ]
    assert isinstance(missing.value, ValueError)


def test_adjacent_intervals_and_midnight_spellings_are_accepted() -> None:
    rules = rules_from_payload(
        {
            "timezone": "Europe/London",
            "weeklyHours": [
                {"day": "friday", "start": "00:00", "end": "12:00"},
                {"day": "friday", "start": "12:00", "end": "00:00"},
            ],
        }
    )

    assert rules_to_payload(rules)["weeklyHours"] == [
        {"day": "friday", "start": "00:00", "end": "12:00"},
        {"day": "friday", "start": "12:00", "end": "24:00"},
    ]
    friday = date(2026, 7, 17)
    assert working_intervals(rules, friday) == [
        (datetime(2026, 7, 16, 23, tzinfo=UTC), datetime(2026, 7, 17, 11, tzinfo=UTC)),
        (datetime(2026, 7, 17, 11, tzinfo=UTC), datetime(2026, 7, 17, 23, tzinfo=UTC)),
    ]
