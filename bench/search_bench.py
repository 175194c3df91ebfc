"""Search latency on a seeded marketplace: p50/p95/p99 under 20 concurrent clients, and plans.

    uv run python bench/search_bench.py                       # seeds 100,000 practitioners first
    uv run python bench/search_bench.py --reuse               # keep the seeded database from before

The database ``kk_bench_search`` on ``$DATABASE_URL``'s server is (re)created and filled with
``klearkarma seed`` (timed: the search triggers run inside it), then ``klearkarma serve`` starts on
a free port with rate limits off, and wrk (`bench/percentiles.lua`'s reporter) drives each scenario.

Every request of an "uncached" scenario carries a random extra parameter, so neither the response
cache nor the shared search cache can answer it: those figures are the database path. The
"cached" scenario repeats a few URLs, as a popular page would. The "repeats" scenarios mix the
two over the 900 text, filter and geo searches: that share of requests asks one of them again
(answered from the caches once it has been asked in the last two minutes), the rest are new.
EXPLAIN (ANALYZE, BUFFERS) of the main statements is printed at the end. Numbers only; nothing
passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from klearkarma.core import migrate
from klearkarma.core.db import Database, libpq_url
from klearkarma.core.pagination import PageParams
from klearkarma.practitioners.service import DirectoryFilters
from klearkarma.search import index_store, service, suggestions
from klearkarma.search import query as tsq
from klearkarma.search.index import select
from klearkarma.search.schemas import SearchSort
from klearkarma.search.service import matching, search_statement

sys.path.insert(0, os.path.dirname(__file__))
from http_bench import local_server

DATABASE = "kk_bench_search"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
HERE = Path(__file__).resolve().parent

QUERIES = [
    "reiki", "yoga", "ayurveda", "meditation", "acupuncture", "sound healing", "massage",
    "breathwork", "naturopathy", "life coaching", "yoga bangalore", "reiki mumbai",
    "ayurveda delhi", "meditation anxiety", "acupuncture pain", "pranic healing",
    "hypnotherapy sleep", "tai chi", "art therapy", "nutrition", "aromatherapy massage",
    "counselling stress", "prenatal yoga", "deep tissue massage", "vipassana",
]  # fmt: skip
TYPOS = ["accupuncture", "meditaton", "ayurvedha", "reikki healing", "naturpathy", "masage"]
CITIES = {
    "Bangalore": (12.9716, 77.5946),
    "Mumbai": (19.0760, 72.8777),
    "Delhi": (28.6139, 77.2090),
    "Pune": (18.5204, 73.8567),
    "Chennai": (13.0827, 80.2707),
}
PREFIXES = [
    "y", "yo", "re", "rei", "ay", "ayu", "ac", "acu", "me", "med", "ba", "ban", "mu", "mum",
    "de", "pu", "ch", "so", "sou", "br", "ma", "mas", "pr", "ta", "an", "ar", "ka", "pri", "li",
]  # fmt: skip


def scenario_paths(rng: random.Random) -> dict[str, list[str]]:
    """A few hundred distinct URLs per scenario."""

    def practitioners(params: dict[str, object]) -> str:
        return "/v1/search/practitioners?" + urlencode(params)

    text = [practitioners({"q": rng.choice(QUERIES)}) for _ in range(300)]
    filtered = []
    for _ in range(300):
        params: dict[str, object] = {"q": rng.choice(QUERIES)}
        choice = rng.random()
        if choice < 0.35:
            params["city"] = rng.choice(list(CITIES))
        elif choice < 0.7:
            low = rng.choice([500, 1000, 1500, 2000])
            params |= {"minRate": low, "maxRate": low + rng.choice([500, 1000, 2000])}
        else:
            params |= {"language": rng.choice(["Hindi", "Kannada", "Tamil"]), "minRating": 4}
        filtered.append(practitioners(params))
    geo = []
    for _ in range(300):
        lat, lng = CITIES[rng.choice(list(CITIES))]
        geo.append(
            practitioners(
                {
                    "q": rng.choice(QUERIES),
                    "lat": round(lat + rng.uniform(-0.05, 0.05), 4),
                    "lng": round(lng + rng.uniform(-0.05, 0.05), 4),
                    "radiusKm": rng.choice([10, 25, 50]),
                    "sort": rng.choice(["relevance", "distance"]),
                }
            )
        )
    typos = [practitioners({"q": rng.choice(TYPOS)}) for _ in range(100)]
    suggestions = [
        "/v1/search/suggestions?" + urlencode({"q": rng.choice(PREFIXES)}) for _ in range(200)
    ]
    return {
        "text": text,
        "text+filter": filtered,
        "text+geo": geo,
        "typo": typos,
        "suggestions": suggestions,
    }


def lua_script(paths: list[str], repeats: float) -> str:
    """A wrk script asking for ``paths`` at random; a share ``1 - repeats`` of the requests carry
    a random extra parameter, so no cache has their answer."""
    listed = ",\n".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    reporter = (HERE / "percentiles.lua").read_text()
    return (
        f"local paths = {{\n{listed}\n}}\n"
        # Each wrk thread runs its own copy of the script: seeded alike, the threads would send
        # the same requests in the same order, and a twin arriving after the first had been
        # answered would be served from the cache (half the "uncached" requests, before).
        "local threads = 0\n"
        "setup = function(thread)\n"
        "  threads = threads + 1\n"
        "  thread:set('thread_number', threads)\n"
        "end\n"
        "init = function(args)\n"
        "  math.randomseed(os.time() * 1000 + thread_number)\n"
        "end\n"
        "request = function()\n"
        "  local path = paths[math.random(#paths)]\n"
        f"  if math.random() >= {repeats} then\n"
        "    path = path .. '&r=' .. math.random(1, 1000000000)\n"
        "  end\n"
        "  return wrk.format('GET', path)\n"
        "end\n" + reporter
    )


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by the server processes (their worker processes included) and by
    PostgreSQL's, ended ones included (all on this machine: the figures are per request only
    when nothing else runs)."""
    tick = os.sysconf("SC_CLK_TCK")
    processes: dict[int, tuple[int, str, bytes, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # the process ended while we looked
        name = text.split(" (", 1)[1].rsplit(")", 1)[0]
        fields = text.rsplit(")", 1)[1].split()
        # utime + stime, and cutime + cstime: the ended children a parent has reaped (the
        # postmaster's backends that closed during the run)
        spent = sum(int(value) for value in fields[11:15]) / tick
        processes[int(stat.parent.name)] = (int(fields[1]), name, command, spent)
    servers = {pid for pid, (_, _, command, _) in processes.items() if b"cli serve" in command}
    used = {"server": 0.0, "postgres": 0.0}
    for pid, (parent, name, _, spent) in processes.items():
        if pid in servers or parent in servers:
            used["server"] += spent
        elif name.startswith("postgres"):
            used["postgres"] += spent
    return used


def run_wrk(base: str, paths: list[str], *, repeats: float, concurrency: int, seconds: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(paths, repeats))
    try:
        warm = ["wrk", "-t2", f"-c{concurrency}", "-d3s", "-s", script.name, base]
        subprocess.run(warm, check=True, capture_output=True)
        command = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", script.name, base]
        before = cpu_seconds()
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        after = cpu_seconds()
    finally:
        os.unlink(script.name)
    keep = ("p50", "p90", "p95", "p99", "requests")
    lines = [line for line in output.splitlines() if line.startswith(keep)]
    requests = int(lines[0].split()[1])
    cpu = {name: (after[name] - before[name]) * 1000 / max(requests, 1) for name in after}
    return "  ".join(lines) + (
        f"  ({requests / seconds:.0f} req/s; CPU per request: server {cpu['server']:.2f} ms,"
        f" PostgreSQL {cpu['postgres']:.2f} ms)"
    )


async def recreate(server_url: str) -> str:
    admin = await asyncpg.connect(
        make_url(server_url).set(database="postgres").render_as_string(False)
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    return make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)


def seed(url: str, practitioners: int) -> float:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "klearkarma.cli", "seed", "--practitioners", str(practitioners),
         "--seekers", str(practitioners // 5), "--bookings", str(practitioners)],
        check=True, env=env,
    )  # fmt: skip
    return time.perf_counter() - started


Prepared = tuple[str, list[object]]


def prepared(
    terms: str,
    filters: DirectoryFilters,
    sort: SearchSort,
    floor: float | None,
    documents: dict[str, int],
) -> Prepared:
    """The statement and arguments the API runs (``documents``: the vocabulary's counts)."""
    how = matching(tsq.parse(terms), "all")
    band = service.band_floor(filters, None, how, floor, lambda w: documents.get(w, 0))
    statement, args = search_statement(filters, None, how, sort, PageParams(1, 20), band)
    return statement.sql, args


def plans(floor: float | None, documents: dict[str, int]) -> dict[str, Prepared]:
    """The statements the API runs for a few typical searches (with this database's floor)."""
    everywhere = DirectoryFilters()
    delhi = DirectoryFilters(city="Delhi", min_rate=Decimal(1000), max_rate=Decimal(2000))
    mumbai = DirectoryFilters(lat=19.076, lng=72.8777, radius_km=25)
    relevance = SearchSort.RELEVANCE
    return {
        "text 'yoga' (broad: walks the quality index)": prepared(
            "yoga", everywhere, relevance, floor, documents
        ),
        "text 'sound healing' (words common together: the quality band)": prepared(
            "sound healing", everywhere, relevance, floor, documents
        ),
        "text 'reiki bangalore' (band too thin: every match)": prepared(
            "reiki bangalore", everywhere, relevance, floor, documents
        ),
        "text 'deep tissue massage' (a rare word: no band)": prepared(
            "deep tissue massage", everywhere, relevance, floor, documents
        ),
        "text+filter 'ayurveda' city=Delhi 1000-2000": prepared(
            "ayurveda", delhi, relevance, floor, documents
        ),
        "text+geo 'massage' 25 km of Mumbai by distance": prepared(
            "massage", mumbai, SearchSort.DISTANCE, floor, documents
        ),
    }


FLOOR = """
SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY search_quality) FROM practitioners
WHERE verification_status = 'verified' AND is_active
"""


async def vacuum(url: str) -> None:
    """Fresh statistics and visibility maps, as autovacuum would give a loaded database, and the
    practitioners packed: the seed rewrites each row inside its one transaction (ratings,
    session counts, search documents), which leaves the table nearly half empty (278 MB rather
    than 151 MB at 100,000), as an operator compacts after a bulk load."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (FULL, ANALYZE) practitioners")
        await conn.execute("VACUUM ANALYZE services, search_terms, search_suggestions")
    finally:
        await conn.close()


async def explain(url: str) -> None:
    # As the API's read connections run them: each statement planned for its own values.
    conn = await asyncpg.connect(url, server_settings={"plan_cache_mode": "force_custom_plan"})
    try:
        floor = await conn.fetchval(FLOOR)
        documents = dict(await conn.fetch("SELECT term, frequency FROM search_terms"))
        for title, (sql, args) in plans(floor, documents).items():
            for _ in range(3):  # warm the caches, as a pooled connection would be
                await conn.fetch(sql, *args)
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, *args)
            print(f"\n--- {title}")
            print("\n".join(row[0] for row in rows))
    finally:
        await conn.close()


async def suggestion_lists(url: str) -> None:
    """How long one process takes to load its suggestion lists, and to answer a prefix."""
    db = Database.connect(url)
    try:
        started = time.perf_counter()
        index = await suggestions.load(db, None)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        for prefix in PREFIXES * 100:
            index.suggest(prefix, 8)
        each = (time.perf_counter() - started) / (len(PREFIXES) * 100)
        print(
            f"\nsuggestion lists: {len(index.names.keys)} names, "
            f"{len(index.cities.keys)} cities, {len(index.services.keys)} services loaded in "
            f"{loaded * 1000:.0f} ms; one prefix answered in {each * 1e6:.0f} us"
        )
    finally:
        await db.dispose()


def _resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


async def index_figures(url: str) -> None:
    """How long one process takes to load its search index, what it holds, and how long the
    index takes to find a search's candidates, order and facets (no page statement)."""
    db = Database.connect(url)
    try:
        before = _resident_mb()
        started = time.perf_counter()
        index = await index_store.load(db)
        loaded = time.perf_counter() - started
        grown = _resident_mb() - before
        postings = sum(len(p.slots) for p in index.postings.values())
        print(
            f"\nsearch index: {len(index.ids)} practitioners, {len(index.postings)} lexemes, "
            f"{postings} postings loaded in {loaded:.1f} s; resident memory +{grown:.0f} MB"
        )
        mumbai = DirectoryFilters(lat=19.076, lng=72.8777, radius_km=25)
        delhi = DirectoryFilters(city="Delhi", min_rate=Decimal(1000))
        for words, filters, sort in [
            (["yoga"], DirectoryFilters(), SearchSort.RELEVANCE),
            (["sound", "heal"], DirectoryFilters(), SearchSort.RELEVANCE),
            (["reiki", "bangalor"], DirectoryFilters(), SearchSort.RELEVANCE),
            (["ayurveda"], delhi, SearchSort.PRICE),
            (["massag"], mumbai, SearchSort.DISTANCE),
        ]:
            started = time.perf_counter()
            for _ in range(200):
                select(index, words, "all", filters, sort, 0, 20, service.CANDIDATES)
            each = (time.perf_counter() - started) / 200
            print(f"  {' '.join(words)!r} {sort.value}: {each * 1e6:.0f} us per search")
        # The one statement an index search runs: the chosen page, read and checked again, on a
        # session that plans it once, as the API's (``Database.read(..., generic_plan=True)``).
        conn = await asyncpg.connect(url, server_settings={"plan_cache_mode": "force_generic_plan"})
        try:
            for title, typed, words, filters, sort in [
                ("'yoga', no filter", "yoga", ["yoga"], DirectoryFilters(), SearchSort.RELEVANCE),
                ("'massage' 25 km of Mumbai by distance", "massage", ["massag"], mumbai,
                 SearchSort.DISTANCE),
            ]:  # fmt: skip
                chosen = select(index, words, "all", filters, sort, 0, 20, service.CANDIDATES)
                how = matching(tsq.parse(typed), "all")
                statement, values = service.page_statement(filters, how, chosen.page, chosen.scores)
                for _ in range(3):
                    await conn.fetch(statement.sql, *values)
                print(f"\n--- page statement: {title} (its plan, as it runs)")
                print(await executed_plan(conn, statement.sql, values))
        finally:
            await conn.close()
    finally:
        await db.dispose()


async def executed_plan(conn: asyncpg.Connection, sql: str, values: list[object]) -> str:
    """The plan one execution of a prepared statement used, from ``auto_explain``: EXPLAIN of
    the statement would plan it afresh with the values (PostgreSQL 15 cannot EXPLAIN a generic
    plan), and the plan worth seeing is the one reused."""
    notices: list[str] = []

    def keep(_: object, message: asyncpg.PostgresLogMessage) -> None:
        notices.append(str(message.message))

    await conn.execute(
        "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
        " SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;"
        " SET client_min_messages = log"
    )
    conn.add_log_listener(keep)
    try:
        await conn.fetch(sql, *values)
        await asyncio.sleep(0.1)  # notices arrive with the answer; let the listener run
    finally:
        conn.remove_log_listener(keep)
        await conn.execute("SET auto_explain.log_min_duration = -1; RESET client_min_messages")
    lines = "\n".join(notices).splitlines()
    start = next((i for i, line in enumerate(lines) if "(cost=" in line), 0)
    return "\n".join(lines[:1] + lines[start:])  # the duration, then the plan (not the SQL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="use the database seeded before")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    # One server process: PostgreSQL and the load generator share the machine's two cores, and a
    # second process raises throughput but lengthens the tail (docs/search.md).
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    server_url = libpq_url(os.environ.get("DATABASE_URL", DEFAULT_SERVER))
    url = make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)
    if not args.reuse:
        url = asyncio.run(recreate(server_url))
        migrate.upgrade(url)
        print(f"seed ({args.practitioners} practitioners): {seed(url, args.practitioners):.1f} s")
    asyncio.run(vacuum(url))
    paths = scenario_paths(random.Random(7))
    with local_server(args.workers, DATABASE_URL=url, DEMO_DATA="0") as base:
        started = time.perf_counter()
        httpx.get(f"{base}/v1/search/practitioners?q=yoga", timeout=300).raise_for_status()
        print(f"first search (waits for the index to load): {time.perf_counter() - started:.1f} s")
        print(f"{args.concurrency} concurrent clients, {args.seconds} s per scenario, {base}")
        load = {"concurrency": args.concurrency, "seconds": args.seconds}
        for name, scenario in paths.items():
            figures = run_wrk(base, scenario, repeats=0.0, **load)
            print(f"{name + ' (uncached)':<32} {figures}")
        popular = paths["text"][:10] + paths["suggestions"][:10]
        figures = run_wrk(base, popular, repeats=1.0, concurrency=args.concurrency, seconds=10)
        print(f"{'popular (cached)':<32} {figures}")
        searches = paths["text"] + paths["text+filter"] + paths["text+geo"]
        for repeats in (0.5, 0.8):
            figures = run_wrk(base, searches, repeats=repeats, **load)
            print(f"{f'searches, {repeats:.0%} repeats':<32} {figures}")
    asyncio.run(explain(url))
    asyncio.run(suggestion_lists(url))
    asyncio.run(index_figures(url))


if __name__ == "__main__":
    main()
