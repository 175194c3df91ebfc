"""The slot engine in-process: 30 days of slots with 500 existing bookings (target: under 5 ms).

    uv run python bench/slots_bench.py [--days 30] [--bookings 500] [--repeat 200]

A practitioner in Asia/Kolkata works two intervals a day, six days a week, on a 15-minute grid
with buffers, a daily limit and one day-off override; 500 bookings are spread over the window.
Prints min / p50 / p95 of `free_slots` and of `is_bookable`. Numbers only; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from klearkarma.scheduling import AvailabilityRules, Busy, free_slots, is_bookable
from klearkarma.scheduling.rules import rules_from_payload


def build_rules(today: date) -> AvailabilityRules:
    weekly = [
        {"day": day, "start": start, "end": end}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
        for start, end in (("07:00", "12:30"), ("14:00", "21:00"))
    ]
    return rules_from_payload(
        {
            "timezone": "Asia/Kolkata",
            "weeklyHours": weekly,
            "overrides": [{"date": (today + timedelta(days=10)).isoformat(), "intervals": []}],
            "bufferBeforeMinutes": 10,
            "bufferAfterMinutes": 10,
            "minNoticeMinutes": 120,
            "maxAdvanceDays": 90,
            "slotIntervalMinutes": 15,
            "dailyLimit": 40,
        }
    )


def build_busy(now: datetime, days: int, count: int, seed: int = 7) -> list[Busy]:
    rng = random.Random(seed)
    busy = []
    for _ in range(count):
        start = now + timedelta(minutes=15 * rng.randrange(days * 96))
        busy.append(Busy(start, start + timedelta(minutes=rng.choice((30, 45, 60, 90)))))
    return busy


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    today = now.date()
    rules = build_rules(today)
    busy = build_busy(now, args.days, args.bookings)
    window_end = today + timedelta(days=args.days - 1)

    def run_free() -> int:
        return len(
            free_slots(
                rules,
                busy,
                duration=timedelta(minutes=60),
                window_start=today,
                window_end=window_end,
                now=now,
                zone="Europe/London",
            )
        )

    count = run_free()
    timings = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        run_free()
        timings.append((time.perf_counter() - began) * 1000)

    probes = [now + timedelta(minutes=15 * i) for i in range(0, args.days * 96, 7)]
    checks = []
    for start in probes[: args.repeat]:
        began = time.perf_counter()
        is_bookable(rules, busy, start=start, duration=timedelta(minutes=60), now=now)
        checks.append((time.perf_counter() - began) * 1000)

    print(f"free_slots: {args.days} days, {args.bookings} bookings -> {count} slots")
    print(
        f"  min {min(timings):.2f} ms  p50 {statistics.median(timings):.2f} ms  "
        f"p95 {percentile(timings, 0.95):.2f} ms  (target < 5 ms)"
    )
    print(
        f"is_bookable: min {min(checks):.3f} ms  p50 {statistics.median(checks):.3f} ms  "
        f"p95 {percentile(checks, 0.95):.3f} ms"
    )


if __name__ == "__main__":
    main()
