"""Practitioner search: ranking, spelling, exact filters, visibility, facets, paging, snippets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from klearkarma.core.db import Database
from klearkarma.identity.models import User
from klearkarma.practitioners.models import AvailabilitySchedule, Practitioner
from klearkarma.search import ranking
from tests.factories import make_practitioner
from tests.search.helpers import BANGALORE, ids, names, search, seed_market


async def test_reiki_bangalore_ranks_bangalore_reiki_practitioners_first(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_market(db)

    body = await search(client, q="reiki bangalore")

    # Both words match only the two Bangalore reiki practitioners; the better-reviewed leads.
    assert names(body) == ["Asha Rao", "Bina Shah"]
    assert body["data"]["match"] == "all"
    scores = [item["score"] for item in body["data"]["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["meta"]["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}


async def test_when_no_one_matches_every_word_more_matched_words_beat_better_ratings(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_market(db)

    body = await search(client, q="reiki yoga bangalore")

    assert body["data"]["match"] == "any"
    found = names(body)
    # Two of three words (reiki|yoga + bangalore) beat one (reiki in Mumbai), despite Chitra's
    # 5.0 from 80 reviews and 900 sessions.
    assert set(found[:3]) == {"Asha Rao", "Bina Shah", "Deepak Kumar"}
    assert found[3:] == ["Chitra Menon"]


async def test_a_misspelt_modality_is_corrected_and_reported(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_market(db)

    body = await search(client, q="accupuncture")

    assert names(body) == ["Esha Nair"]
    assert body["data"]["query"] == "accupuncture"
    assert body["data"]["correctedQuery"] == "acupuncture"
    assert body["data"]["corrections"] == [{"original": "accupuncture", "corrected": "acupuncture"}]


async def test_a_correctly_spelt_query_reports_no_correction(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_market(db)

    body = await search(client, q="Acupuncture")

    assert names(body) == ["Esha Nair"]
    assert body["data"]["correctedQuery"] is None
    assert body["data"]["corrections"] == []


async def test_price_and_radius_filters_are_exact(client: httpx.AsyncClient, db: Database) -> None:
    await seed_market(db)

    priced = await search(client, minRate="1000", maxRate="2000")
    near = await search(client, lat=BANGALORE[0], lng=BANGALORE[1], radiusKm=100, sort="distance")
    reiki_near = await search(client, q="reiki", lat=BANGALORE[0], lng=BANGALORE[1], radiusKm=100)

    assert set(names(priced)) == {"Asha Rao", "Bina Shah"}
    assert all(
        Decimal("1000") <= Decimal(p["hourlyRate"]) <= Decimal("2000")
        for p in priced["data"]["results"]
    )
    # Mysore (~128 km) and Mumbai are outside; every distance reported is within the radius.
    assert set(names(near)) == {"Asha Rao", "Bina Shah", "Deepak Kumar"}
    assert all(p["distanceKm"] <= 100 for p in near["data"]["results"])
    assert set(names(reiki_near)) == {"Asha Rao", "Bina Shah"}


async def test_other_directory_filters_apply_to_search(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_market(db)

    assert names(await search(client, q="reiki", language="marathi")) == ["Chitra Menon"]
    assert names(await search(client, q="reiki", specialization="meditation")) == ["Bina Shah"]
    assert names(await search(client, q="reiki", city="mumbai")) == ["Chitra Menon"]
    assert set(names(await search(client, q="reiki", online="false"))) == {"Chitra Menon"}
    assert set(names(await search(client, q="reiki", minRating=4.5))) == {
        "Asha Rao",
        "Chitra Menon",
    }
    priced = names(await search(client, q="reiki", sort="price"))
    assert priced == ["Asha Rao", "Bina Shah", "Chitra Menon"]


async def test_hidden_practitioners_never_appear(client: httpx.AsyncClient, db: Database) -> None:
    people = await seed_market(db)
    hidden = {str(people[k].id) for k in ("pending", "rejected", "suspended")}

    for params in ({"q": "reiki"}, {"q": "pending rejected suspended reiki"}, {}):
        body = await search(client, **params, limit=100)
        assert not hidden & set(ids(body))
    assert names(await search(client, q="pending")) == []


async def test_facets_count_the_whole_filtered_result_set(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_market(db)

    body = await search(client, q="reiki", limit=1)

    assert len(body["data"]["results"]) == 1
    assert body["meta"]["pagination"]["total"] == 3
    facets = body["data"]["facets"]
    assert facets["specializations"] == [
        {"value": "reiki", "count": 3},
        {"value": "meditation", "count": 1},
    ]
    assert facets["languages"] == [
        {"value": "English", "count": 3},
        {"value": "Hindi", "count": 1},
        {"value": "Kannada", "count": 1},
        {"value": "Marathi", "count": 1},
    ]
    assert facets["cities"] == [
        {"value": "Bangalore", "count": 2},
        {"value": "Mumbai", "count": 1},
    ]
    assert facets["modes"] == {"online": 2, "inPerson": 2}
    assert [(b["key"], b["count"]) for b in facets["priceBands"]] == [
        ("<1000", 0),
        ("1000-2000", 2),
        ("2000-3500", 1),
        ("3500-5000", 0),
        ("5000+", 0),
    ]


async def test_pages_are_stable_with_no_duplicates_or_gaps(
    client: httpx.AsyncClient, db: Database
) -> None:
    async with db.transaction() as session:
        created = {
            str((await make_practitioner(session, specializations=["breathwork"])).id)
            for _ in range(23)
        }

    seen: list[str] = []
    for page in range(1, 5):
        body = await search(client, q="breathwork", limit=7, page=page)
        seen.extend(ids(body))
        assert body["meta"]["pagination"]["total"] == 23
    again = [
        i for page in (1, 2) for i in ids(await search(client, q="breathwork", limit=7, page=page))
    ]

    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == created
    assert again == seen[:14]


async def test_snippets_escape_profile_text_and_mark_matches(
    client: httpx.AsyncClient, db: Database
) -> None:
    async with db.transaction() as session:
        await make_practitioner(
            session,
            specializations=["reiki"],
            headline='Reiki & "calm" <b>now</b>',
            bio="<script>alert(1)</script> gentle reiki sessions",
        )

    body = await search(client, q="reiki")

    snippet = body["data"]["results"][0]["snippet"]
    assert "<mark>" in snippet
    assert "&lt;script&gt;" in snippet
    assert "&amp;" in snippet
    without_markers = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_markers
    assert ">" not in without_markers


async def test_has_slot_keeps_practitioners_with_working_hours_in_the_window(
    client: httpx.AsyncClient, db: Database
) -> None:
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())  # next Monday, 1..7 days ahead
    async with db.transaction() as session:
        mondays = await make_practitioner(session, display_name="Monday Person", timezone="UTC")
        fridays = await make_practitioner(session, display_name="Friday Person", timezone="UTC")
        await make_practitioner(session, display_name="No Rules Person")
        for who, day in ((mondays, "monday"), (fridays, "friday")):
            session.add(
                AvailabilitySchedule(
                    practitioner_id=who.id,
                    timezone="UTC",
                    weekly_hours=[{"day": day, "start": "09:00", "end": "17:00"}],
                    overrides=[],
                )
            )

    monday_only = await search(client, hasSlotFrom=str(monday), hasSlotTo=str(monday))
    tue_to_fri = await search(
        client, hasSlotFrom=str(monday + timedelta(days=1)), hasSlotTo=str(monday + timedelta(4))
    )
    backwards = await client.get(
        "/v1/search/practitioners",
        params={"hasSlotFrom": str(monday), "hasSlotTo": str(monday - timedelta(days=1))},
    )

    assert names(monday_only) == ["Monday Person"]
    assert names(tue_to_fri) == ["Friday Person"]
    assert backwards.status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        '"reiki"',
        "reiki & yoga | !meditation",
        "rei:* & (yoga | !)",
        "'; DROP TABLE users; --",
        "\\' OR 1=1 --",
        "<script>alert(1)</script>",
        "::: &&& ||| !!! ((( )))",
        "\x00\x01 reiki",
        "ÿoga 瑜伽 🧘",
        " ",
    ],
)
async def test_hostile_queries_answer_normally(
    client: httpx.AsyncClient, db: Database, query: str
) -> None:
    await seed_market(db)

    response = await client.get("/v1/search/practitioners", params={"q": query})

    assert response.status_code in (200, 422), response.text
    body = response.json()
    assert set(body) >= {"success", "meta"}
    if response.status_code == 200:
        assert isinstance(body["data"]["results"], list)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(User)) >= 8


async def test_an_overlong_query_is_refused_with_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/search/practitioners", params={"q": "reiki " * 2000})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"][0]["field"] == "q"


async def test_distance_sort_needs_a_location(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/search/practitioners", params={"sort": "distance"})

    assert response.status_code == 422


async def test_results_are_the_directory_summary_plus_score_and_snippet(
    client: httpx.AsyncClient, db: Database
) -> None:
    people = await seed_market(db)
    where = {"lat": BANGALORE[0] + 0.01, "lng": BANGALORE[1], "radiusKm": 2000}

    found = await search(client, q="reiki", **where)
    listed = await client.get("/v1/practitioners", params={**where, "limit": 50})

    directory = {item["id"]: item for item in listed.json()["data"]}
    assert len(found["data"]["results"]) == 3
    for result in found["data"]["results"]:
        assert set(result) - set(directory[result["id"]]) == {"score", "snippet"}
        assert {k: v for k, v in result.items() if k not in ("score", "snippet")} == directory[
            result["id"]
        ]
    assert str(people["asha"].id) in directory


async def test_the_stored_quality_is_the_documented_formula(db: Database) -> None:
    async with db.transaction() as session:
        for rating, reviews, sessions in [(0, 0, 0), (4.8, 30, 120), (5, 1, 2), (3.1, 200, 5000)]:
            made = await make_practitioner(
                session,
                rating=Decimal(str(rating)),
                review_count=reviews,
                total_sessions=sessions,
            )
            stored = await session.scalar(
                select(Practitioner.search_quality).where(Practitioner.id == made.id)
            )
            assert stored == pytest.approx(ranking.quality_of(rating, reviews, sessions))
