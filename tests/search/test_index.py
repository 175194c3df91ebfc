"""The in-memory index answers exactly as the SQL statement does, and stays current."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import text

from klearkarma.core.db import Database
from klearkarma.core.pagination import PageParams
from klearkarma.practitioners.models import VerificationStatus
from klearkarma.practitioners.service import DirectoryFilters
from klearkarma.search import service
from klearkarma.search.facets import facets_json
from klearkarma.search.index import Index, Row, _postings_of, select, term_rank
from klearkarma.search.index_store import IndexStore
from klearkarma.search.schemas import Facets, SearchSort
from klearkarma.search.spelling import Speller, Spelling
from tests.factories import make_practitioner, make_service

SPECIALIZATIONS = ["reiki", "yoga", "ayurveda", "meditation", "acupuncture", "breathwork"]
LANGUAGES = ["English", "Hindi", "Kannada", "Tamil"]
CITIES = {"Bangalore": (12.9716, 77.5946), "Mysore": (12.2958, 76.6394), "Pune": (18.52, 73.86)}
BIO_WORDS = ["healing", "pain", "sleep", "stress", "breath", "yoga", "reiki", "therapy", "calm"]
BIO_WORDS += ["energy", "back", "anxiety"]
RATES = ["800.00", "1000.00", "1500.50", "2000.00", "5000"]


async def _marketplace(db: Database, seed: int = 7, people: int = 48) -> None:
    """Practitioners with every attribute a search reads varied, ties included (equal
    ratings, prices and documents), some hidden and some without a place."""
    rng = random.Random(seed)
    async with db.transaction() as session:
        for index in range(people):
            city = rng.choice([*CITIES, None])
            lat, lng = CITIES[city] if city else (None, None)
            if lat is not None and lng is not None:
                lat, lng = lat + rng.uniform(-0.3, 0.3), lng + rng.uniform(-0.3, 0.3)
            status = rng.choice([VerificationStatus.VERIFIED] * 6 + [VerificationStatus.PENDING])
            practitioner = await make_practitioner(
                session,
                display_name=f"Person {index:02d} {rng.choice(BIO_WORDS).title()}",
                specializations=rng.sample(SPECIALIZATIONS, rng.randint(1, 3)),
                languages=rng.sample(LANGUAGES, rng.randint(1, 3)),
                hourly_rate=Decimal(
                    rng.choice(["800.00", "1000.00", "1500.50", "2000.00", "5000"])
                ),
                rating=Decimal(rng.choice(["0", "4.20", "4.80", "5.00"])),
                review_count=rng.choice([0, 3, 40]),
                total_sessions=rng.choice([0, 10, 500]),
                experience_years=rng.choice([1, 5, 12]),
                offers_online=rng.random() < 0.7,
                offers_in_person=rng.random() < 0.5,
                city=city,
                lat=lat,
                lng=lng,
                bio=" ".join(rng.choices(BIO_WORDS, k=rng.randint(0, 12))),
                verification_status=status,
                is_active=rng.random() < 0.9,
            )
            if rng.random() < 0.5:
                await make_service(
                    session,
                    practitioner,
                    name=f"{rng.choice(BIO_WORDS).title()} session",
                    description=" ".join(rng.choices(BIO_WORDS, k=4)),
                )


QUERIES = ["", "reiki", "yoga", "healing", "reiki pain", "breath yoga", "calm zzqx", "sleep"]
FILTERS = [
    DirectoryFilters(),
    DirectoryFilters(city="bangalore"),
    DirectoryFilters(min_rate=Decimal("1000"), max_rate=Decimal("2000.004")),
    DirectoryFilters(min_rate=Decimal("1500.495")),
    DirectoryFilters(language="hindi", min_rating=4.5),
    DirectoryFilters(specialization="Reiki", online=True),
    DirectoryFilters(in_person=True, online=False),
    DirectoryFilters(lat=12.9716, lng=77.5946, radius_km=40),
    DirectoryFilters(lat=12.9716, lng=77.5946),
]


def _answer(found: service.Found) -> dict[str, Any]:
    results = orjson.loads(found.results_json)
    for result in results:
        result["score"] = round(result["score"], 5)
    return {
        "results": results,
        "total": found.total,
        "lowerBound": found.total_is_lower_bound,
        "facets": orjson.loads(found.facets_json),
        "match": found.info.match,
    }


async def _same_answer(store: IndexStore, *args: Any) -> service.Found:
    """``find_practitioners(*args)`` by the statement, once the index has given the same."""
    by_sql = await service.find_practitioners(*args)
    by_index = await service.find_practitioners(*args, store=store)
    assert _answer(by_index) == _answer(by_sql), args[2:]
    return by_sql


@pytest.mark.parametrize("candidates", [300, 7])
async def test_the_index_answers_exactly_as_the_statement(
    db: Database, monkeypatch: pytest.MonkeyPatch, candidates: int
) -> None:
    monkeypatch.setattr(service, "CANDIDATES", candidates)
    await _marketplace(db)
    speller = Speller(Spelling(), db, None)
    store = IndexStore()
    compared = 0
    for q in QUERIES:
        for filters in FILTERS:
            sorts = [SearchSort.RELEVANCE, SearchSort.PRICE, SearchSort.RATING]
            sorts += [SearchSort.EXPERIENCE] if filters == DirectoryFilters() else []
            sorts += [SearchSort.DISTANCE] if filters.lat is not None else []
            for sort in sorts:
                for page in (PageParams(1, 5), PageParams(2, 5)):
                    by_sql = await _same_answer(store, db, speller, q, filters, None, sort, page)
                    compared += bool(orjson.loads(by_sql.results_json))
    assert store.index is not None  # the index answered, not the statement
    assert compared > 150  # most combinations found someone: the comparison means something


@pytest.mark.parametrize("candidates", [300, 7])
async def test_slots_that_changes_appended_are_ranked_in_with_the_loaded_ones(
    db: Database, monkeypatch: pytest.MonkeyPatch, candidates: int
) -> None:
    # A full load numbers slots in relevance order; a change appends the row's new slot at the
    # end, out of that order, and a relevance search must still take it at its place.
    monkeypatch.setattr(service, "CANDIDATES", candidates)
    await _marketplace(db)
    speller = Speller(Spelling(), db, None)
    store = IndexStore()
    await store.current(db)
    async with db.transaction() as session:  # the best, a middling and the worst now change
        await session.execute(
            text(
                "UPDATE practitioners SET rating = v.rating, review_count = v.reviews "
                "FROM (SELECT id, row_number() OVER (ORDER BY search_quality, id) AS n "
                "      FROM practitioners) AS ranked, "
                "     (VALUES (1, 5.0, 900), (20, 0.0, 0), (40, 4.8, 3)) AS v(n, rating, reviews) "
                "WHERE practitioners.id = ranked.id AND ranked.n = v.n"
            )
        )
    await store.current(db)
    assert store.index is not None
    assert len(store.index.ids) > store.index.ordered  # the changed rows sit past the order
    for q in QUERIES:
        for filters in FILTERS:
            relevance = SearchSort.RELEVANCE
            await _same_answer(store, db, speller, q, filters, None, relevance, PageParams(1, 50))


PLACES = [
    (12.25, 77.5),  # on a grid cell's corner
    (12.2499999, 77.4999999),
    (12.5, 77.75),
    (12.0, 77.25),
    (0.0, 0.0),
    (-0.01, -0.01),
    (65.0, 179.95),  # beside the antimeridian
    (65.0, -179.95),
    (89.9, 10.0),  # beside the pole
    (89.95, -170.0),
]
AROUND = [
    DirectoryFilters(lat=12.25, lng=77.5, radius_km=5),
    DirectoryFilters(lat=12.3, lng=77.6, radius_km=40),
    DirectoryFilters(lat=0.0, lng=0.0, radius_km=2),
    DirectoryFilters(lat=65.0, lng=-179.99, radius_km=30),  # the box wraps
    DirectoryFilters(lat=89.9, lng=0.0, radius_km=50),  # the box reaches the pole
    DirectoryFilters(lat=20.0, lng=78.0, radius_km=2000),  # touches too many cells
]


async def test_a_radius_finds_exactly_what_the_statement_finds_wherever_it_is(
    db: Database,
) -> None:
    # The index reads a radius's grid cells first: places on cell edges, boxes that wrap the
    # antimeridian or reach a pole, and boxes too big for the grid must all agree with SQL.
    async with db.transaction() as session:
        for lat, lng in PLACES:
            await make_practitioner(session, specializations=["yoga"], lat=lat, lng=lng)
    speller = Speller(Spelling(), db, None)
    store = IndexStore()
    for filters in AROUND:
        for sort in (SearchSort.RELEVANCE, SearchSort.DISTANCE):
            args = (db, speller, "yoga", filters, None, sort, PageParams(1, 20))
            by_sql = await _same_answer(store, *args)
            assert by_sql.total > 0, filters  # every radius holds someone
    async with db.transaction() as session:  # a change after the load: outside the grid
        await make_practitioner(session, specializations=["yoga"], lat=12.26, lng=77.51)
    args = (db, speller, "yoga", AROUND[0], None, SearchSort.DISTANCE, PageParams(1, 20))
    assert (await _same_answer(store, *args)).total == 3


@pytest.mark.parametrize("weights", ["A", "D", "AD", "DA", "BCD", "DDDDA", "CBA", "AAAA", ""])
async def test_a_term_rank_is_postgresql_ts_rank(db: Database, weights: str) -> None:
    positions = ",".join(f"{i + 1}{w}" for i, w in enumerate(weights or "D"))
    async with db.reading() as connection:
        expected = await connection.fetchval(
            "SELECT ts_rank('{0.1, 0.2, 0.4, 1.0}', $1::tsvector, 'word'::tsquery, 0)",
            f"word:{positions}",
        )
    assert np.float32(term_rank(weights)) == np.float32(expected)


async def _public_ids(store: IndexStore, db: Database) -> set[str]:
    index = await store.current(db)
    return {str(uuid.UUID(bytes=index.ids[slot])) for slot in np.flatnonzero(index.alive)}


async def test_changes_reach_the_index_before_the_next_search(db: Database) -> None:
    async with db.transaction() as session:
        shown = await make_practitioner(session, specializations=["kqzmodality"])
        hidden = await make_practitioner(
            session, specializations=["kqzmodality"], verification_status=VerificationStatus.PENDING
        )
    store = IndexStore()
    before = await _public_ids(store, db)
    assert str(shown.id) in before
    assert str(hidden.id) not in before

    async with db.transaction() as session:  # behind the application's back, as an operator would
        await session.execute(
            text("UPDATE practitioners SET verification_status = 'verified' WHERE id = :id"),
            {"id": hidden.id},
        )
        await session.execute(
            text("UPDATE practitioners SET is_active = false, bio = 'gone' WHERE id = :id"),
            {"id": shown.id},
        )
    after = await _public_ids(store, db)

    assert str(hidden.id) in after
    assert str(shown.id) not in after
    index = store.index
    assert index is not None
    posting = index.postings["kqzmodal"]
    assert [index.ids[s] for s in posting.slots if index.alive[s]] == [hidden.id.bytes]


async def test_a_page_never_shows_what_the_index_has_not_seen_hidden(db: Database) -> None:
    async with db.transaction() as session:
        first = await make_practitioner(session, specializations=["kqzmodality"])
        second = await make_practitioner(session, specializations=["kqzmodality"])
    speller = Speller(Spelling(), db, None)
    store = IndexStore()
    args = (db, speller, "kqzmodality", DirectoryFilters(), None, SearchSort.RELEVANCE)
    found = await service.find_practitioners(*args, PageParams(1, 20), store=store)
    assert len(orjson.loads(found.results_json)) == 2

    async with db.transaction() as session:
        await session.execute(
            text("UPDATE practitioners SET is_active = false WHERE id = :id"), {"id": first.id}
        )
    store.checked = 2**62  # as if the change had not been read yet
    found = await service.find_practitioners(*args, PageParams(1, 20), store=store)

    assert [r["id"] for r in orjson.loads(found.results_json)] == [str(second.id)]


async def test_an_index_mostly_replaced_by_changes_is_reloaded(db: Database) -> None:
    async with db.transaction() as session:
        people = [await make_practitioner(session) for _ in range(4)]
    store = IndexStore()
    await store.current(db)
    async with db.transaction() as session:
        for person in people[:3]:
            await session.execute(
                text("UPDATE practitioners SET total_sessions = 9 WHERE id = :id"),
                {"id": person.id},
            )
    index = await store.current(db)

    assert index.dead == 0  # reloaded whole: no slot left behind
    assert all(index.quality[index.slot_of[p.id.bytes]] > 0 for p in people)


def test_the_facets_json_is_what_the_model_would_write() -> None:
    listed = [
        ("s", "reiki", 3),
        ("s", "yoga", 1),
        ("l", "English", 4),
        ("c", "Pune", 2),
        ("p", "1", 2),
        ("p", "4", 1),
        ("o", "online", 3),
        ("i", "in_person", 0),
    ]
    written = facets_json(listed)
    assert Facets.model_validate_json(written).model_dump_json(by_alias=True).encode() == written
    assert orjson.loads(written)["priceBands"][1] == {
        "key": "1000-2000",
        "min": "1000",
        "max": "2000",
        "count": 2,
    }


def test_rows_whose_ids_share_their_first_eight_bytes_still_follow_the_whole_id() -> None:
    # Random uuids practically never share their first half, so the exact-order comparison
    # above never reaches the fallback that sorts on all sixteen bytes; this builds such ids.
    head = bytes(range(8))
    ids = [uuid.UUID(bytes=head + bytes([0, 0, 0, 0, 0, 0, 0, n])) for n in (9, 3, 7, 1)]
    ids += [uuid.UUID(bytes=bytes([255] * 8 + [n] * 8)) for n in (5, 2)]
    rows = [
        Row(
            id=i, public=True, quality=0.5, rating=450, reviews=3, rate=100_000, experience=4,
            online=True, in_person=False, lat=None, lng=None, city="Pune", city_key="pune",
            specializations=("yoga",), languages=("English",), lexemes=("yoga",), weights=("A",),
        )
        for i in ids
    ]  # fmt: skip
    index = Index.of(rows, _postings_of(rows, 0), revision=1)

    for sort in (SearchSort.RELEVANCE, SearchSort.PRICE, SearchSort.RATING):
        chosen = select(index, ["yoga"], "all", DirectoryFilters(), sort, 0, 20, 300)
        assert chosen.page == sorted(i.hex for i in ids), sort
        shorter = select(index, ["yoga"], "all", DirectoryFilters(), sort, 0, 20, 3)
        assert shorter.page == sorted(i.hex for i in ids)[:3], sort
