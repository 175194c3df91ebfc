"""Practitioners built through the API, the way a real one onboards."""

from __future__ import annotations

from typing import Any

import httpx

from klearkarma.core.db import Database
from tests.identity.helpers import admin_headers, bearer, register

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROFILE = {
    "bio": "Iyengar yoga teacher.",
    "headline": "Yoga for stiff backs",
    "experienceYears": 8,
    "hourlyRate": "1500.00",
    "languages": ["english", "Kannada"],
    "specializations": ["Yoga", "meditation"],
    "certifications": [{"name": "RYT 500", "issuer": "Yoga Alliance", "year": 2018}],
    "timezone": "Asia/Kolkata",
    "offersOnline": True,
    "offersInPerson": True,
    "location": {"lat": 12.97, "lng": 77.59, "city": "Bangalore", "country": "India"},
}
RULES = {
    "timezone": "Asia/Kolkata",
    "weeklyHours": [
        {"day": day, "start": "09:00", "end": "12:00"}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ],
    "overrides": [],
    "bufferBeforeMinutes": 0,
    "bufferAfterMinutes": 0,
    "minNoticeMinutes": 0,
    "maxAdvanceDays": 30,
    "slotIntervalMinutes": 60,
}


async def new_practitioner(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, Any]]:
    headers = bearer((await register(client, user_type="practitioner"))["tokens"]["accessToken"])
    created = await client.post("/v1/practitioners", json=PROFILE, headers=headers)
    assert created.status_code == 201, created.text
    return headers, created.json()["data"]


async def verified_with_rules(
    client: httpx.AsyncClient,
    db: Database,
    *,
    rules: dict[str, Any] | None = None,
    service: dict[str, Any] | None = None,
    admin: dict[str, str] | None = None,
) -> tuple[dict[str, str], str, str]:
    """A verified practitioner with one service and published rules: (owner headers, practitioner
    id, service id)."""
    owner, profile = await new_practitioner(client)
    admin = admin or await admin_headers(client, db)
    await client.post(
        f"/v1/admin/practitioners/{profile['id']}/verification",
        json={"decision": "verified"},
        headers=admin,
    )
    created = await client.post(
        f"/v1/practitioners/{profile['id']}/services",
        json={
            "name": "Private yoga",
            "category": "yoga",
            "durationMinutes": 60,
            "price": "1500.00",
            "mode": "online",
            **(service or {}),
        },
        headers=owner,
    )
    assert created.status_code == 201, created.text
    saved = await client.put(
        f"/v1/practitioners/{profile['id']}/availability", json=rules or RULES, headers=owner
    )
    assert saved.status_code == 200, saved.text
    return owner, profile["id"], created.json()["data"]["id"]
