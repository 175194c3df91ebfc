"""The public directory: only verified, active practitioners; filters are exact."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from klearkarma.core.db import Database
from klearkarma.practitioners.models import Practitioner, VerificationStatus
from tests.factories import make_practitioner, make_review, make_service

BANGALORE = (12.9716, 77.5946)
MYSORE = (12.2958, 76.6394)  # ~128 km from Bangalore
MUMBAI = (19.0760, 72.8777)


async def seed_directory(db: Database) -> dict[str, Practitioner]:
    async with db.transaction() as session:
        people = {
            "reiki_blr": await make_practitioner(
                session,
                display_name="Asha Reiki",
                specializations=["reiki", "meditation"],
                languages=["English", "Kannada"],
                hourly_rate=Decimal("1200.00"),
                experience_years=9,
                rating=Decimal("4.80"),
                review_count=25,
                offers_in_person=True,
            ),
            "yoga_mysore": await make_practitioner(
                session,
                display_name="Mysore Yoga",
                specializations=["yoga"],
                languages=["English", "Hindi"],
                hourly_rate=Decimal("2500.00"),
                experience_years=20,
                rating=Decimal("4.20"),
                lat=MYSORE[0],
                lng=MYSORE[1],
                city="Mysore",
            ),
            "ayurveda_mumbai": await make_practitioner(
                session,
                display_name="Mumbai Ayurveda",
                specializations=["ayurveda"],
                languages=["Marathi", "Hindi"],
                hourly_rate=Decimal("3000.00"),
                experience_years=3,
                rating=Decimal("3.90"),
                lat=MUMBAI[0],
                lng=MUMBAI[1],
                city="Mumbai",
                offers_online=False,
                offers_in_person=True,
            ),
            "pending": await make_practitioner(
                session,
                display_name="Pending Person",
                verification_status=VerificationStatus.PENDING,
                hourly_rate=Decimal("1300.00"),
            ),
            "rejected": await make_practitioner(
                session,
                display_name="Rejected Person",
                verification_status=VerificationStatus.REJECTED,
            ),
            "inactive": await make_practitioner(
                session, display_name="Inactive Person", is_active=False
            ),
        }
    return people


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["displayName"] for item in response.json()["data"]]


async def test_only_verified_active_practitioners_are_listed(
    client: httpx.AsyncClient, db: Database
) -> None:
    await seed_directory(db)

    response = await client.get("/v1/practitioners")

    assert names(response) == ["Asha Reiki", "Mysore Yoga", "Mumbai Ayurveda"]  # by rating
    assert response.json()["meta"]["pagination"] == {
        "page": 1,
        "limit": 20,
        "total": 3,
        "totalPages": 1,
    }


async def test_hidden_practitioners_are_404(client: httpx.AsyncClient, db: Database) -> None:
    people = await seed_directory(db)

    for key in ("pending", "rejected", "inactive"):
        response = await client.get(f"/v1/practitioners/{people[key].id}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await client.get("/v1/practitioners/not-a-uuid")).status_code == 422


async def test_profile_shows_services_and_money_as_strings(
    client: httpx.AsyncClient, db: Database
) -> None:
    people = await seed_directory(db)
    async with db.transaction() as session:
        await make_service(
            session, people["reiki_blr"], name="Reiki healing", price=Decimal("999.50")
        )

    response = await client.get(f"/v1/practitioners/{people['reiki_blr'].id}")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["displayName"] == "Asha Reiki"
    assert data["hourlyRate"] == "1200.00"
    assert data["rating"] == 4.8
    assert data["location"] == {
        "lat": BANGALORE[0],
        "lng": BANGALORE[1],
        "city": "Bangalore",
        "country": "India",
    }
    assert [(s["name"], s["price"], s["currency"]) for s in data["services"]] == [
        ("Reiki healing", "999.50", "INR")
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"specialization": "reiki"}, ["Asha Reiki"]),
        ({"language": "hindi"}, ["Mysore Yoga", "Mumbai Ayurveda"]),
        ({"minRate": "1200", "maxRate": "2500"}, ["Asha Reiki", "Mysore Yoga"]),
        ({"minRate": "1200.01"}, ["Mysore Yoga", "Mumbai Ayurveda"]),
        ({"minRating": "4.2"}, ["Asha Reiki", "Mysore Yoga"]),
        ({"city": "mumbai"}, ["Mumbai Ayurveda"]),
        ({"online": "false"}, ["Mumbai Ayurveda"]),
        ({"inPerson": "true"}, ["Asha Reiki", "Mumbai Ayurveda"]),
        ({"sort": "price"}, ["Asha Reiki", "Mysore Yoga", "Mumbai Ayurveda"]),
        ({"sort": "experience"}, ["Mysore Yoga", "Asha Reiki", "Mumbai Ayurveda"]),
    ],
)
async def test_filters_and_sorts_are_exact(
    client: httpx.AsyncClient, db: Database, params: dict[str, str], expected: list[str]
) -> None:
    await seed_directory(db)

    assert names(await client.get("/v1/practitioners", params=params)) == expected


async def test_radius_filter_and_distance_sort(client: httpx.AsyncClient, db: Database) -> None:
    await seed_directory(db)
    near = {"lat": BANGALORE[0], "lng": BANGALORE[1]}

    within_100 = await client.get("/v1/practitioners", params={**near, "radiusKm": 100})
    within_200 = await client.get(
        "/v1/practitioners", params={**near, "radiusKm": 200, "sort": "distance"}
    )

    assert names(within_100) == ["Asha Reiki"]
    assert names(within_200) == ["Asha Reiki", "Mysore Yoga"]
    distances = [item["distanceKm"] for item in within_200.json()["data"]]
    assert distances[0] == 0
    assert 120 < distances[1] < 135


async def test_inconsistent_geo_parameters_are_422(client: httpx.AsyncClient) -> None:
    cases = [
        ({"lat": 12.9}, "lng"),
        ({"radiusKm": 10}, "radiusKm"),
        ({"sort": "distance"}, "sort"),
        ({"minRate": 500, "maxRate": 100}, "minRate"),
        ({"lat": 91, "lng": 0}, "lat"),
    ]
    for params, field in cases:
        response = await client.get("/v1/practitioners", params=params)
        assert response.status_code == 422, params
        fields = [d["field"] for d in response.json()["error"]["details"]]
        assert field in fields, (params, fields)


async def test_pages_are_stable_and_complete(client: httpx.AsyncClient, db: Database) -> None:
    async with db.transaction() as session:
        for index in range(7):
            await make_practitioner(session, display_name=f"Same Rating {index}")

    pages = [
        await client.get("/v1/practitioners", params={"limit": 3, "page": page})
        for page in (1, 2, 3)
    ]

    seen = [name for page in pages for name in names(page)]
    assert sorted(seen) == sorted(f"Same Rating {i}" for i in range(7))
    assert pages[2].json()["meta"]["pagination"]["totalPages"] == 3


async def test_reviews_are_paginated_and_name_authors_briefly(
    client: httpx.AsyncClient, db: Database
) -> None:
    people = await seed_directory(db)
    async with db.transaction() as session:
        for rating in (5, 4, 3):
            await make_review(session, people["reiki_blr"], rating, comment=f"rated {rating}")

    response = await client.get(
        f"/v1/practitioners/{people['reiki_blr'].id}/reviews", params={"limit": 2}
    )
    hidden = await client.get(f"/v1/practitioners/{people['pending'].id}/reviews")

    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["pagination"]["total"] == 3
    assert len(body["data"]) == 2
    assert all(item["authorName"].endswith(".") for item in body["data"])
    assert hidden.status_code == 404


async def test_catalog_lists_public_services_and_categories(
    client: httpx.AsyncClient, db: Database
) -> None:
    people = await seed_directory(db)
    async with db.transaction() as session:
        await make_service(session, people["reiki_blr"], name="Distance reiki", category="reiki")
        await make_service(session, people["yoga_mysore"], name="Hatha yoga", category="yoga")
        await make_service(session, people["pending"], name="Invisible", category="yoga")

    services = await client.get("/v1/services")
    yoga = await client.get("/v1/services", params={"category": "yoga"})
    categories = await client.get("/v1/services/categories")

    assert sorted(s["name"] for s in services.json()["data"]) == ["Distance reiki", "Hatha yoga"]
    assert [s["name"] for s in yoga.json()["data"]] == ["Hatha yoga"]
    counts = {c["slug"]: c["practitionerCount"] for c in categories.json()["data"]}
    assert counts["reiki"] == 1
    assert counts["yoga"] == 1  # the pending practitioner does not count
    assert counts["ayurveda"] == 1
    assert counts["homeopathy"] == 0
    assert len(counts) == 18
