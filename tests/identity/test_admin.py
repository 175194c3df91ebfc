"""Admin account work: suspension ends sessions and sign-in; the flagged-event review."""

from __future__ import annotations

import httpx

from klearkarma.core.db import Database
from tests.identity.helpers import admin_headers, bearer, error_code, login, register, unique_email


async def test_suspension_ends_sessions_and_blocks_sign_in(
    client: httpx.AsyncClient, db: Database
) -> None:
    admin = await admin_headers(client, db)
    email = unique_email("rulebreaker")
    target = await register(client, email=email)
    user_headers = bearer(target["tokens"]["accessToken"])

    not_admin = await client.post(
        f"/v1/admin/users/{target['user']['id']}/suspend",
        json={"reason": "spam"},
        headers=user_headers,
    )
    suspended = await client.post(
        f"/v1/admin/users/{target['user']['id']}/suspend",
        json={"reason": "spam messages"},
        headers=admin,
    )

    assert not_admin.status_code == 403
    assert suspended.status_code == 200
    assert suspended.json()["data"]["status"] == "suspended"
    assert (await client.get("/v1/users/profile", headers=user_headers)).status_code == 401
    blocked = await login(client, email)
    assert blocked.status_code == 403
    assert error_code(blocked) == "ACCOUNT_SUSPENDED"

    back = await client.post(f"/v1/admin/users/{target['user']['id']}/reactivate", headers=admin)
    assert back.status_code == 200
    assert (await login(client, email)).status_code == 200


async def test_admin_search_and_flagged_events(client: httpx.AsyncClient, db: Database) -> None:
    admin = await admin_headers(client, db)
    victim = await register(client, last_name="Findable")
    tokens = victim["tokens"]
    await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})

    found = await client.get("/v1/admin/users", params={"q": "findable"}, headers=admin)
    flagged = await client.get(
        "/v1/admin/security-events", params={"flagged": "true"}, headers=admin
    )

    assert [u["id"] for u in found.json()["data"]] == [victim["user"]["id"]]
    events = flagged.json()["data"]
    assert any(
        e["eventType"] == "token_reuse" and e["userId"] == victim["user"]["id"] for e in events
    )
    assert all(e["riskScore"] > 0.8 for e in events)


async def test_admin_user_search_takes_wildcards_literally(
    client: httpx.AsyncClient, db: Database
) -> None:
    admin = await admin_headers(client, db)
    plain = await register(client, last_name="Plainname")
    marked = await register(client, last_name="Per%cent_Sign")

    by_name = await client.get("/v1/admin/users", params={"q": "CENT_SIGN"}, headers=admin)
    percent = await client.get("/v1/admin/users", params={"q": "%"}, headers=admin)
    underscore = await client.get("/v1/admin/users", params={"q": "t_s"}, headers=admin)

    assert [u["id"] for u in by_name.json()["data"]] == [marked["user"]["id"]]  # any case
    found = {u["id"] for u in percent.json()["data"]}
    assert marked["user"]["id"] in found
    assert plain["user"]["id"] not in found  # % is a character to find, not a wildcard
    assert [u["id"] for u in underscore.json()["data"]] == [marked["user"]["id"]]
