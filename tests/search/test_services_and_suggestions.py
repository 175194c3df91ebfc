"""Service search and prefix suggestions."""

from __future__ import annotations

import httpx

from klearkarma.core.db import Database
from tests.search.helpers import seed_market


async def test_service_search_finds_public_active_services_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    people = await seed_market(db)

    response = await client.get("/v1/search/services", params={"q": "reiki heal"})
    by_typo = await client.get("/v1/search/services", params={"q": "neddle therapy"})

    assert response.status_code == 200
    results = response.json()["data"]["results"]
    # The pending practitioner's identical service stays hidden.
    assert [(r["name"], r["practitionerName"]) for r in results] == [("Reiki healing", "Asha Rao")]
    assert results[0]["practitionerId"] == str(people["asha"].id)
    assert results[0]["price"] == "1500.00"
    assert results[0]["durationMinutes"] == 60
    assert results[0]["mode"] == "online"
    assert response.json()["meta"]["pagination"]["total"] == 1
    typo = by_typo.json()["data"]
    assert [r["name"] for r in typo["results"]] == ["Needle therapy"]
    assert typo["correctedQuery"] == "needle therapy"


async def test_suggestions_complete_modalities_cities_services_and_names(
    client: httpx.AsyncClient, db: Database
) -> None:
    people = await seed_market(db)

    async def suggest(prefix: str) -> list[tuple[str, str, str | None]]:
        response = await client.get("/v1/search/suggestions", params={"q": prefix})
        assert response.status_code == 200, response.text
        return [(s["type"], s["text"], s["id"]) for s in response.json()["data"]]

    assert await suggest("acu") == [("modality", "Acupuncture", "acupuncture")]
    assert await suggest("MYS") == [("city", "Mysore", None)]
    assert await suggest("ash") == [("practitioner", "Asha Rao", str(people["asha"].id))]
    assert ("service", "Reiki healing", None) in await suggest("reiki h")
    assert await suggest("pending") == []  # unverified names are never suggested
    assert await suggest("%") == []  # LIKE wildcards are plain characters here


async def test_suggestions_need_a_prefix(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/search/suggestions")).status_code == 422
    too_long = await client.get("/v1/search/suggestions", params={"q": "a" * 10_000})
    assert too_long.status_code == 422
