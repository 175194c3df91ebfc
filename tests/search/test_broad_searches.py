"""Broad searches rank, count and facet a bounded set of candidates, and say so."""

from __future__ import annotations

import math
from decimal import Decimal

import httpx
import pytest

from klearkarma.core.db import Database
from klearkarma.search import ranking, service
from tests.factories import make_practitioner
from tests.search.helpers import names, search


async def _five_breathwork_teachers(db: Database) -> None:
    async with db.transaction() as session:
        for index, (rating, reviews, rate) in enumerate(
            [(4.9, 40, "3000"), (4.8, 30, "2500"), (4.7, 20, "900"), (4.0, 2, "800"), (0, 0, "700")]
        ):
            await make_practitioner(
                session,
                display_name=f"Teacher {index}",
                specializations=["breathwork"],
                rating=Decimal(str(rating)),
                review_count=reviews,
                hourly_rate=Decimal(rate),
                city="Pune" if index % 2 else "Bangalore",
            )


async def test_past_the_candidate_limit_the_total_is_a_lower_bound(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CANDIDATES", 3)
    await _five_breathwork_teachers(db)

    body = await search(client, q="breathwork")

    assert body["data"]["totalIsLowerBound"] is True
    assert body["meta"]["pagination"]["total"] == 3
    # The best three by reviews and sessions, ranked; the facets count those three.
    assert names(body) == ["Teacher 0", "Teacher 1", "Teacher 2"]
    assert body["data"]["facets"]["cities"] == [
        {"value": "Bangalore", "count": 2},
        {"value": "Pune", "count": 1},
    ]


async def test_a_sort_other_than_relevance_takes_its_candidates_in_its_own_order(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CANDIDATES", 3)
    await _five_breathwork_teachers(db)

    cheapest = await search(client, q="breathwork", sort="price", limit=2)
    second_page = await search(client, q="breathwork", sort="price", limit=2, page=2)

    # The cheapest of all matches, not the cheapest of the best-reviewed.
    assert names(cheapest) == ["Teacher 4", "Teacher 3"]
    assert names(second_page) == ["Teacher 2"]
    assert cheapest["meta"]["pagination"] == {"page": 1, "limit": 2, "total": 3, "totalPages": 2}


async def test_within_the_candidate_limit_everything_is_exact(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CANDIDATES", 5)
    await _five_breathwork_teachers(db)

    body = await search(client, q="breathwork")

    assert body["data"]["totalIsLowerBound"] is False
    assert body["meta"]["pagination"]["total"] == 5
    assert sum(f["count"] for f in body["data"]["facets"]["cities"]) == 5


@pytest.mark.parametrize("band", [None, 1, 2, 4])
async def test_the_quality_band_never_changes_the_answer(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch, band: int | None
) -> None:
    """Looking first among the best by quality is only a shortcut: with a band too small to
    hold the candidates, or wide enough, the answer is the one without it."""
    monkeypatch.setattr(service, "CANDIDATES", 2)
    await _five_breathwork_teachers(db)
    qualities = sorted(
        (
            ranking.quality_of(r, n, 0)
            for r, n in [(4.9, 40), (4.8, 30), (4.7, 20), (4.0, 2), (0, 0)]
        ),
        reverse=True,
    )
    floor = qualities[band] if band is not None else None
    monkeypatch.setattr(service._QUALITY_FLOOR, "floor", floor)
    monkeypatch.setattr(service._QUALITY_FLOOR, "read_at", math.inf)
    # Five documents could never fill a band here (band_can_fill): take it regardless.
    monkeypatch.setattr(service, "band_can_fill", lambda how, documents_with: True)

    body = await search(client, q="breathwork", limit=5)

    assert names(body) == ["Teacher 0", "Teacher 1"]
    assert body["data"]["totalIsLowerBound"] is True
    assert body["data"]["facets"]["cities"] == [
        {"value": "Bangalore", "count": 1},
        {"value": "Pune", "count": 1},
    ]


def test_the_band_is_tried_only_where_the_words_could_fill_it() -> None:
    """Every word must match, so the rarest word bounds the matches; any word, the commonest.
    The band holds the best tenth: under ten times the candidates it cannot fill."""
    documents = {"massage": 10_000, "deep": 9_000, "tissue": 2_700, "yoga": 21_000}.get
    need = service.CANDIDATES / (1 - service._QualityFloor.SHARE)
    assert need == pytest.approx(3000)

    def fills(mode: str, *words: str) -> bool:
        how = service.Matching(mode, words)  # type: ignore[arg-type]
        return service.band_can_fill(how, lambda w: documents(w, 0))

    assert fills("all", "yoga")
    assert fills("all", "deep", "massage")
    assert not fills("all", "deep", "tissue", "massage")  # 2,700 documents have "tissue"
    assert fills("any", "deep", "tissue", "massage")  # any word: up to 10,000 matches
    assert not fills("all", "vipassana")  # unknown to the vocabulary: none counted
    assert fills("browse")
