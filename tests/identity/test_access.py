"""Object-level access: one person never reads another's account data."""

from __future__ import annotations

import httpx

from tests.identity.helpers import bearer, error_code, register


async def test_a_seeker_cannot_read_another_users_account(client: httpx.AsyncClient) -> None:
    alice = await register(client, first_name="Alice")
    bob = await register(client, first_name="Bob")
    as_bob = bearer(bob["tokens"]["accessToken"])

    own = await client.get(f"/v1/users/{bob['user']['id']}", headers=as_bob)
    other = await client.get(f"/v1/users/{alice['user']['id']}", headers=as_bob)

    assert own.status_code == 200
    assert other.status_code == 404
    assert error_code(other) == "NOT_FOUND"
    assert alice["user"]["email"] not in other.text


async def test_sessions_are_private_and_endable(client: httpx.AsyncClient) -> None:
    alice = await register(client)
    bob = await register(client)
    as_alice = bearer(alice["tokens"]["accessToken"])
    as_bob = bearer(bob["tokens"]["accessToken"])

    alice_sessions = (await client.get("/v1/users/sessions", headers=as_alice)).json()["data"]
    [mine] = alice_sessions
    assert mine["current"] is True

    foreign = await client.delete(f"/v1/users/sessions/{mine['id']}", headers=as_bob)
    assert foreign.status_code == 404
    assert (await client.get("/v1/users/profile", headers=as_alice)).status_code == 200

    ended = await client.delete(f"/v1/users/sessions/{mine['id']}", headers=as_alice)
    assert ended.status_code == 200
    assert (await client.get("/v1/users/profile", headers=as_alice)).status_code == 401


async def test_exports_are_the_callers_own(client: httpx.AsyncClient) -> None:
    alice = await register(client, first_name="Alicia", last_name="Quartz")
    bob = await register(client, first_name="Bobby", last_name="Marble")

    export = await client.get("/v1/users/export", headers=bearer(bob["tokens"]["accessToken"]))

    assert export.status_code == 200
    assert "Marble" in export.text
    assert "Quartz" not in export.text
    assert alice["user"]["email"] not in export.text
