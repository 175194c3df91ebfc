"""Practitioners running their supply: profile, services, documents, verification, rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from klearkarma.core.db import Database
from tests.identity.helpers import admin_headers, bearer, error_code, last_email_to, register
from tests.practitioners.helpers import PDF, PROFILE, RULES, new_practitioner, verified_with_rules


async def test_a_new_profile_is_pending_and_private(client: httpx.AsyncClient) -> None:
    headers, profile = await new_practitioner(client)

    assert profile["verificationStatus"] == "pending"
    assert profile["specializations"] == ["yoga", "meditation"]
    assert profile["languages"] == ["English", "Kannada"]
    assert profile["hourlyRate"] == "1500.00"
    assert [v["decision"] for v in profile["verificationHistory"]] == ["pending"]
    anonymous = await client.get(f"/v1/practitioners/{profile['id']}")
    own = await client.get(f"/v1/practitioners/{profile['id']}", headers=headers)
    listing = await client.get("/v1/practitioners")
    slots = await client.get(f"/v1/practitioners/{profile['id']}/availability")
    assert anonymous.status_code == 404
    assert own.status_code == 200
    assert profile["id"] not in [p["id"] for p in listing.json()["data"]]
    assert slots.status_code == 404
    me = await client.get("/v1/practitioners/me", headers=headers)
    assert me.json()["data"]["id"] == profile["id"]


async def test_only_practitioner_accounts_create_one_profile(client: httpx.AsyncClient) -> None:
    seeker = bearer((await register(client))["tokens"]["accessToken"])
    headers, _ = await new_practitioner(client)

    as_seeker = await client.post("/v1/practitioners", json=PROFILE, headers=seeker)
    again = await client.post("/v1/practitioners", json=PROFILE, headers=headers)
    bad = await client.post(
        "/v1/practitioners",
        json={
            **PROFILE,
            "specializations": ["astrology"],
            "timezone": "Nowhere/Land",
            "hourlyRate": "12.345",
        },
        headers=bearer((await register(client, user_type="practitioner"))["tokens"]["accessToken"]),
    )

    assert as_seeker.status_code == 403
    assert again.status_code == 409
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"hourlyRate"} or {
        d["field"] for d in bad.json()["error"]["details"]
    } >= {"specializations", "timezone"}


async def test_one_practitioner_cannot_touch_anothers_supply(client: httpx.AsyncClient) -> None:
    owner, profile = await new_practitioner(client)
    intruder, _ = await new_practitioner(client)
    pid = profile["id"]
    service = await client.post(
        f"/v1/practitioners/{pid}/services",
        json={
            "name": "Hatha yoga",
            "category": "yoga",
            "durationMinutes": 60,
            "price": "1200.00",
            "mode": "online",
        },
        headers=owner,
    )
    assert service.status_code == 201
    sid = service.json()["data"]["id"]

    attempts = [
        await client.put(f"/v1/practitioners/{pid}", json={"bio": "hacked"}, headers=intruder),
        await client.post(
            f"/v1/practitioners/{pid}/services",
            json={
                "name": "Fake",
                "category": "yoga",
                "durationMinutes": 30,
                "price": "1.00",
                "mode": "online",
            },
            headers=intruder,
        ),
        await client.put(
            f"/v1/practitioners/{pid}/services/{sid}", json={"price": "1.00"}, headers=intruder
        ),
        await client.put(f"/v1/practitioners/{pid}/availability", json=RULES, headers=intruder),
        await client.post(
            f"/v1/practitioners/{pid}/blocked-times",
            json={"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"},
            headers=intruder,
        ),
        await client.post(
            f"/v1/practitioners/{pid}/documents",
            files={"file": ("c.pdf", PDF, "application/pdf")},
            headers=intruder,
        ),
    ]

    assert [a.status_code for a in attempts] == [404] * len(attempts)
    unchanged = (await client.get(f"/v1/practitioners/{pid}", headers=owner)).json()["data"]
    assert unchanged["bio"] == PROFILE["bio"]
    assert [s["price"] for s in unchanged["services"]] == ["1200.00"]


async def test_documents_are_sniffed_and_private(client: httpx.AsyncClient, db: Database) -> None:
    owner, profile = await new_practitioner(client)
    other, _ = await new_practitioner(client)
    pid = profile["id"]

    fake = await client.post(
        f"/v1/practitioners/{pid}/documents",
        files={"file": ("cert.pdf", b"just text pretending", "application/pdf")},
        headers=owner,
    )
    real = await client.post(
        f"/v1/practitioners/{pid}/documents",
        files={"file": ("../../etc/RYT cert.pdf", PDF, "image/png")},
        headers=owner,
    )

    assert fake.status_code == 422
    assert real.status_code == 201
    document = real.json()["data"]
    assert (document["contentType"], document["title"]) == ("application/pdf", "RYT cert.pdf")
    url = f"/v1/practitioners/{pid}/documents/{document['id']}"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=other)).status_code == 404
    mine = await client.get(url, headers=owner)
    assert mine.content == PDF
    assert mine.headers["cache-control"] == "private, no-store"
    admin = await admin_headers(client, db)
    assert (await client.get(url, headers=admin)).content == PDF


async def test_admin_verification_with_audit_trail_and_email(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner, profile = await new_practitioner(client)
    await client.post(
        f"/v1/practitioners/{profile['id']}/documents",
        files={"file": ("cert.pdf", PDF, "application/pdf")},
        headers=owner,
    )
    admin = await admin_headers(client, db)
    url = f"/v1/admin/practitioners/{profile['id']}/verification"

    queue = await client.get("/v1/admin/verification-queue", headers=admin)
    not_admin = await client.post(url, json={"decision": "verified"}, headers=owner)
    no_reason = await client.post(url, json={"decision": "rejected"}, headers=admin)
    rejected = await client.post(
        url, json={"decision": "rejected", "reason": "Certificate is unreadable"}, headers=admin
    )
    verified = await client.post(url, json={"decision": "verified"}, headers=admin)

    item = next(i for i in queue.json()["data"] if i["practitioner"]["id"] == profile["id"])
    assert [d["title"] for d in item["documents"]] == ["cert.pdf"]
    assert not_admin.status_code == 403
    assert no_reason.status_code == 422
    assert rejected.status_code == verified.status_code == 200
    me = (await client.get("/v1/practitioners/me", headers=owner)).json()["data"]
    assert [(v["decision"], v["reason"]) for v in me["verificationHistory"]] == [
        ("verified", ""),
        ("rejected", "Certificate is unreadable"),
        ("pending", "Profile submitted for verification."),
    ]
    assert (await client.get(f"/v1/practitioners/{profile['id']}")).status_code == 200
    user_email = (await client.get("/v1/users/profile", headers=owner)).json()["data"]["email"]
    assert (await last_email_to(db, user_email))["subject"] == "You are verified on Klear Karma"


async def test_rules_are_validated_with_field_paths(client: httpx.AsyncClient) -> None:
    owner, profile = await new_practitioner(client)
    bad = {
        **RULES,
        "weeklyHours": [
            {"day": "monday", "start": "09:00", "end": "12:00"},
            {"day": "monday", "start": "11:00", "end": "13:00"},
            {"day": "funday", "start": "10:00", "end": "09:00"},
        ],
        "slotIntervalMinutes": 7,
    }

    response = await client.put(
        f"/v1/practitioners/{profile['id']}/availability", json=bad, headers=owner
    )

    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert "slotIntervalMinutes" in fields
    assert any(f.startswith("weeklyHours[") for f in fields)


async def test_slots_are_the_same_instants_in_any_zone_and_blocks_remove_them(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner, pid, sid = await verified_with_rules(client, db)
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    params = {"from": day, "to": day, "serviceId": sid}

    kolkata = await client.get(
        f"/v1/practitioners/{pid}/availability", params={**params, "timezone": "Asia/Kolkata"}
    )
    london = await client.get(
        f"/v1/practitioners/{pid}/availability", params={**params, "timezone": "Europe/London"}
    )

    assert kolkata.status_code == 200, kolkata.text
    k_slots = kolkata.json()["data"]["slots"]
    l_slots = london.json()["data"]["slots"]
    assert [s["start"][11:16] for s in k_slots] == ["09:00", "10:00", "11:00"]
    assert all(s["start"].endswith("+05:30") for s in k_slots)
    assert [datetime.fromisoformat(s["start"]) for s in k_slots] == [
        datetime.fromisoformat(s["start"]) for s in l_slots
    ]
    first = k_slots[0]
    block = await client.post(
        f"/v1/practitioners/{pid}/blocked-times",
        json={"start": first["start"], "end": first["end"], "reason": "dentist"},
        headers=owner,
    )
    after = await client.get(
        f"/v1/practitioners/{pid}/availability", params={**params, "timezone": "Asia/Kolkata"}
    )
    assert block.status_code == 201
    assert [s["start"][11:16] for s in after.json()["data"]["slots"]] == ["10:00", "11:00"]


async def test_availability_window_and_zone_are_checked(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, pid, _ = await verified_with_rules(client, db)

    wide = await client.get(
        f"/v1/practitioners/{pid}/availability", params={"from": "2030-01-01", "to": "2030-06-01"}
    )
    zone = await client.get(
        f"/v1/practitioners/{pid}/availability", params={"timezone": "Mars/Base"}
    )
    backwards = await client.get(
        f"/v1/practitioners/{pid}/availability", params={"from": "2030-01-05", "to": "2030-01-01"}
    )

    assert [r.status_code for r in (wide, zone, backwards)] == [422, 422, 422]
    assert error_code(zone) == "VALIDATION_ERROR"
