"""Booking creation over HTTP: throughput on distinct slots, and latency under a 50-way race.

    uv run python bench/booking_bench.py [--base-url URL] [--bookings 200] [--concurrency 10]

Without --base-url it starts `klearkarma serve` with demo data (see http_bench.py). Seekers are
registered first (not timed). Phase 1 books distinct free slots of the demo practitioners with
``--concurrency`` clients; phase 2 sends 50 requests for one slot at once and reports how many won
(must be exactly one) and how long the answers took. Numbers only; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from http_bench import local_server

PASSWORD = "Bench-Lotus-Keeper-2026"


async def register(client: httpx.AsyncClient) -> dict[str, str]:
    answer = await client.post(
        "/v1/auth/register",
        json={
            "email": f"bench-{uuid.uuid4().hex[:12]}@example.com",
            "password": PASSWORD,
            "firstName": "Bench",
            "lastName": "Seeker",
            "userType": "seeker",
        },
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['data']['tokens']['accessToken']}"}


async def free_slots(client: httpx.AsyncClient, wanted: int) -> list[dict[str, Any]]:
    """(practitioner, service, start) triples of distinct free slots across the directory."""
    found: list[dict[str, Any]] = []
    listing = (await client.get("/v1/practitioners", params={"limit": 100})).json()["data"]
    for practitioner in listing:
        profile = (await client.get(f"/v1/practitioners/{practitioner['id']}")).json()["data"]
        for service in profile["services"][:1]:
            slots = (
                await client.get(
                    f"/v1/practitioners/{practitioner['id']}/availability",
                    params={"serviceId": service["id"], "timezone": "UTC"},
                )
            ).json()["data"]["slots"]
            # Every other slot, so one booking's buffers do not swallow the next.
            for slot in slots[::3]:
                found.append(
                    {
                        "practitionerId": practitioner["id"],
                        "serviceId": service["id"],
                        "scheduledAt": slot["start"],
                    }
                )
        if len(found) >= wanted:
            break
    return found[:wanted]


def report(name: str, latencies: list[float], elapsed: float, outcomes: Counter[int]) -> None:
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    print(
        f"{name}: {len(latencies)} requests in {elapsed:.2f} s = {len(latencies) / elapsed:.0f}/s; "
        f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, max {max(latencies):.1f} ms; "
        f"outcomes {dict(sorted(outcomes.items()))}"
    )


async def timed(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> tuple[float, int]:
    started = time.perf_counter()
    answer = await client.post("/v1/bookings", json=body, headers=headers)
    return (time.perf_counter() - started) * 1000, answer.status_code


async def run(base: str, bookings: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=60, max_keepalive_connections=60)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        seekers = [await register(client) for _ in range(max(concurrency, 50))]
        slots = await free_slots(client, bookings + 1)
        race_slot, slots = slots[0], slots[1:]
        print(f"{len(slots)} distinct slots, {len(seekers)} seekers, server {base}")

        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for slot in slots:
            queue.put_nowait(slot)
        latencies: list[float] = []
        outcomes: Counter[int] = Counter()

        async def worker(headers: dict[str, str]) -> None:
            while not queue.empty():
                latency, code = await timed(client, headers, queue.get_nowait())
                latencies.append(latency)
                outcomes[code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(seekers[i]) for i in range(concurrency)))
        report("distinct slots", latencies, time.perf_counter() - started, outcomes)

        started = time.perf_counter()
        race = await asyncio.gather(*(timed(client, s, race_slot) for s in seekers[:50]))
        report(
            "50-way race for one slot",
            [latency for latency, _ in race],
            time.perf_counter() - started,
            Counter(code for _, code in race),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    if args.base_url:
        asyncio.run(run(args.base_url, args.bookings, args.concurrency))
        return
    os.environ.setdefault("KLEARKARMA_BCRYPT_ROUNDS", "4")  # registration is not what we time
    with local_server() as base:
        asyncio.run(run(base, args.bookings, args.concurrency))


if __name__ == "__main__":
    main()
