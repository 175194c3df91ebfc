"""Phone verification by SMS code."""

from __future__ import annotations

import re

import httpx

from klearkarma.core.db import Database
from tests.identity.helpers import bearer, queued, register


async def _code(db: Database, phone: str) -> str:
    texts = [a for a in await queued(db, "notifications.send_sms") if a["to"] == phone]
    assert texts
    match = re.search(r"\b(\d{6})\b", texts[-1]["body"])
    assert match
    return match.group(1)


async def test_phone_is_verified_with_the_texted_code(
    client: httpx.AsyncClient, db: Database
) -> None:
    headers = bearer((await register(client))["tokens"]["accessToken"])
    no_phone = await client.post("/v1/users/phone/send-code", headers=headers)
    await client.put("/v1/users/profile", json={"phone": "+919876500001"}, headers=headers)

    sent = await client.post("/v1/users/phone/send-code", headers=headers)
    code = await _code(db, "+919876500001")
    wrong = "000000" if code != "000000" else "111111"
    bad = await client.post("/v1/users/phone/verify", json={"code": wrong}, headers=headers)
    good = await client.post("/v1/users/phone/verify", json={"code": code}, headers=headers)

    assert no_phone.status_code == 422
    assert sent.status_code == 200
    assert bad.status_code == 422
    assert good.status_code == 200
    assert good.json()["data"]["phoneVerified"] is True


async def test_five_wrong_codes_burn_the_code(client: httpx.AsyncClient, db: Database) -> None:
    headers = bearer((await register(client))["tokens"]["accessToken"])
    await client.put("/v1/users/profile", json={"phone": "+919876500002"}, headers=headers)
    await client.post("/v1/users/phone/send-code", headers=headers)
    code = await _code(db, "+919876500002")
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(5):
        assert (
            await client.post("/v1/users/phone/verify", json={"code": wrong}, headers=headers)
        ).status_code == 422
    late = await client.post("/v1/users/phone/verify", json={"code": code}, headers=headers)

    assert late.status_code == 422
    profile = await client.get("/v1/users/profile", headers=headers)
    assert profile.json()["data"]["phoneVerified"] is False
