"""A small marketplace for search tests, built with the factories."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from klearkarma.core.db import Database
from klearkarma.practitioners.models import Practitioner, VerificationStatus
from tests.factories import make_practitioner, make_service

BANGALORE = (12.9716, 77.5946)
MYSORE = (12.2958, 76.6394)  # ~128 km from Bangalore
MUMBAI = (19.0760, 72.8777)


async def seed_market(db: Database) -> dict[str, Practitioner]:
    async with db.transaction() as session:
        people = {
            "asha": await make_practitioner(
                session,
                display_name="Asha Rao",
                specializations=["reiki"],
                languages=["English", "Kannada"],
                hourly_rate=Decimal("1200.00"),
                rating=Decimal("4.80"),
                review_count=30,
                total_sessions=120,
                offers_in_person=True,
                bio="Usui reiki master.",
            ),
            "bina": await make_practitioner(
                session,
                display_name="Bina Shah",
                specializations=["reiki", "meditation"],
                languages=["English", "Hindi"],
                hourly_rate=Decimal("1800.00"),
                rating=Decimal("4.20"),
                review_count=4,
            ),
            "chitra": await make_practitioner(
                session,
                display_name="Chitra Menon",
                specializations=["reiki"],
                languages=["English", "Marathi"],
                hourly_rate=Decimal("3000.00"),
                rating=Decimal("5.00"),
                review_count=80,
                total_sessions=900,
                lat=MUMBAI[0],
                lng=MUMBAI[1],
                city="Mumbai",
                offers_online=False,
                offers_in_person=True,
            ),
            "deepak": await make_practitioner(
                session,
                display_name="Deepak Kumar",
                specializations=["yoga"],
                hourly_rate=Decimal("900.00"),
                rating=Decimal("4.90"),
                review_count=50,
                headline="Yoga and breath",
            ),
            "esha": await make_practitioner(
                session,
                display_name="Esha Nair",
                specializations=["acupuncture"],
                languages=["English", "Kannada"],
                hourly_rate=Decimal("2600.00"),
                lat=MYSORE[0],
                lng=MYSORE[1],
                city="Mysore",
                offers_online=False,
                offers_in_person=True,
            ),
            "pending": await make_practitioner(
                session,
                display_name="Pending Reiki",
                specializations=["reiki"],
                verification_status=VerificationStatus.PENDING,
            ),
            "rejected": await make_practitioner(
                session,
                display_name="Rejected Reiki",
                specializations=["reiki"],
                verification_status=VerificationStatus.REJECTED,
            ),
            "suspended": await make_practitioner(
                session, display_name="Suspended Reiki", specializations=["reiki"], is_active=False
            ),
        }
        await make_service(session, people["asha"], name="Reiki healing", category="reiki")
        await make_service(session, people["pending"], name="Reiki healing", category="reiki")
        await make_service(
            session,
            people["esha"],
            name="Needle therapy",
            description="Traditional Chinese needling for back pain.",
            category="acupuncture",
        )
    return people


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/search/practitioners", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["data"]["results"]]


def names(body: dict[str, Any]) -> list[str]:
    return [item["displayName"] for item in body["data"]["results"]]
