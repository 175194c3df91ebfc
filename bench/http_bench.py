"""HTTP latency under concurrency: p50/p95/p99 and throughput for a few API paths.

    uv run python bench/http_bench.py                         # starts its own server (demo data)
    uv run python bench/http_bench.py --base-url http://127.0.0.1:8000 --path /v1/health

    uv run python bench/http_bench.py --wrk --concurrency 50 --workers 1

Without --base-url it starts `klearkarma serve` on a free port against $DATABASE_URL (or an
embedded PostgreSQL in a temporary directory), with demo data and rate limiting off, and stops it
at the end. With --wrk the load comes from wrk (`apt-get install wrk`), a C client that leaves
the CPU to the server; otherwise from httpx in this process. Numbers only; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx

DEFAULT_PATHS = [
    "/v1/health",
    "/v1/practitioners?limit=20",
    "/v1/practitioners?city=Bangalore&specialization=yoga&sort=rating",
    "/v1/practitioners?lat=12.97&lng=77.59&radiusKm=25&sort=distance",
    "/v1/services/categories",
    "/v1/practitioners/{practitioner}/availability?serviceId={service}&timezone=Asia/Kolkata",
]


async def resolve(base: str, paths: list[str]) -> list[str]:
    """Fill {practitioner} and {service} with a real verified practitioner and its service."""
    if not any("{" in path for path in paths):
        return paths
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        listing = (await client.get("/v1/practitioners", params={"limit": 1})).json()
        practitioner = listing["data"][0]["id"]
        profile = (await client.get(f"/v1/practitioners/{practitioner}")).json()["data"]
        service = profile["services"][0]["id"]
    return [p.format(practitioner=practitioner, service=service) for p in paths]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(workers: int = 1, **overrides: str) -> Iterator[str]:
    """``klearkarma serve`` on a free port (demo data, no rate limits, no worker) until the
    block ends; ``overrides`` set or replace its environment variables."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="kk-bench-")
    env = {
        **os.environ,
        "PORT": str(port),
        "DATA_DIR": data_dir,
        "DEMO_DATA": "1",
        "KLEARKARMA_RATE_LIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "KLEARKARMA_RUN_WORKER": "false",
        **overrides,
    }
    command = [sys.executable, "-m", "klearkarma.cli", "serve", "--workers", str(workers)]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.5)
        else:
            raise RuntimeError("the server did not become healthy")
        yield base
    finally:
        process.terminate()
        process.wait(30)


async def measure(base: str, path: str, concurrency: int, requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for _ in range(min(20, requests)):  # warm-up
            await client.get(path)

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "max": max(latencies),
        "errors": errors,
    }


def measure_with_wrk(base: str, path: str, concurrency: int, seconds: int) -> dict[str, float]:
    script = os.path.join(os.path.dirname(__file__), "percentiles.lua")
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", script, base + path]
    subprocess.run([*command[:3], "-d2s", base + path], check=True, capture_output=True)  # warm
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    values = dict(
        line.split()[:2] for line in output.splitlines() if line.startswith(("p", "requests"))
    )
    errors = sum(int(n) for n in output.split("non-2xx")[1].split()[:1])
    return {
        "rps": float(values["requests"]) / seconds,
        "p50": float(values["p50"]),
        "p95": float(values["p95"]),
        "p99": float(values["p99"]),
        "errors": errors,
    }


async def run(
    base: str, paths: list[str], concurrency: int, requests: int, *, wrk: bool = False
) -> None:
    paths = await resolve(base, paths)
    load = "wrk for 15 s" if wrk else f"{requests} requests"
    print(f"{concurrency} concurrent clients, {load} per path, server {base}")
    width = max(len(p) for p in paths)
    print(f"{'path':{width}} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for path in paths:
        if wrk:
            r = measure_with_wrk(base, path, concurrency, 15)
        else:
            r = await measure(base, path, concurrency, requests)
        print(
            f"{path:{width}} {r['rps']:8.0f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} "
            f"{int(r['errors']):6d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url")
    parser.add_argument("--path", action="append", dest="paths")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="server processes (local server)")
    parser.add_argument("--wrk", action="store_true", help="generate the load with wrk")
    args = parser.parse_args()
    paths = args.paths or DEFAULT_PATHS
    if args.base_url:
        asyncio.run(run(args.base_url, paths, args.concurrency, args.requests, wrk=args.wrk))
        return
    with local_server(args.workers) as base:
        asyncio.run(run(base, paths, args.concurrency, args.requests, wrk=args.wrk))


if __name__ == "__main__":
    main()
