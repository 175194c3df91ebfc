"""Social sign-in end to end against the local OpenID issuer the tests run."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from klearkarma.core.db import Database
from klearkarma.identity.oidc import OidcVerifier
from klearkarma.identity.service import get_user_by_email
from klearkarma.platform import Platform
from tests.identity.helpers import bearer, error_code, register, unique_email


def use_issuer(platform: Platform, oidc_issuer: Any) -> None:
    platform.oidc = OidcVerifier({"local": oidc_issuer.provider(name="local")})


async def nonce(client: httpx.AsyncClient) -> str:
    response = await client.post("/v1/auth/oauth/nonce")
    assert response.status_code == 200
    return str(response.json()["data"]["nonce"])


async def test_new_person_signs_up_with_a_verified_provider_email(
    client: httpx.AsyncClient, platform: Platform, oidc_issuer: Any
) -> None:
    use_issuer(platform, oidc_issuer)
    email, subject = unique_email("social"), uuid.uuid4().hex
    n = await nonce(client)
    token = oidc_issuer.mint(
        sub=subject, email=email, nonce=n, given_name="Kavya", family_name="Rao"
    )

    first = await client.post("/v1/auth/oauth/local", json={"idToken": token, "nonce": n})
    n2 = await nonce(client)
    again = await client.post(
        "/v1/auth/oauth/local",
        json={"idToken": oidc_issuer.mint(sub=subject, email=email, nonce=n2), "nonce": n2},
    )

    assert first.status_code == 200, first.text
    user = first.json()["data"]["user"]
    assert (user["email"], user["firstName"], user["lastName"]) == (email, "Kavya", "Rao")
    assert user["emailVerified"] is True
    assert again.status_code == 200
    assert again.json()["data"]["user"]["id"] == user["id"]
    profile = await client.get(
        "/v1/users/profile", headers=bearer(again.json()["data"]["tokens"]["accessToken"])
    )
    assert profile.status_code == 200


async def test_links_to_an_existing_verified_account_only(
    client: httpx.AsyncClient, db: Database, platform: Platform, oidc_issuer: Any
) -> None:
    use_issuer(platform, oidc_issuer)
    verified, unverified = unique_email("verified"), unique_email("unverified")
    await register(client, email=verified)
    await register(client, email=unverified)
    async with db.transaction() as session:
        user = await get_user_by_email(session, verified)
        assert user is not None
        user.email_verified = True
        existing_id = str(user.id)

    n = await nonce(client)
    linked = await client.post(
        "/v1/auth/oauth/local",
        json={
            "idToken": oidc_issuer.mint(sub="s-1" + verified, email=verified, nonce=n),
            "nonce": n,
        },
    )
    n = await nonce(client)
    refused = await client.post(
        "/v1/auth/oauth/local",
        json={
            "idToken": oidc_issuer.mint(sub="s-2" + unverified, email=unverified, nonce=n),
            "nonce": n,
        },
    )

    assert linked.status_code == 200
    assert linked.json()["data"]["user"]["id"] == existing_id
    assert refused.status_code == 409


async def test_bad_tokens_and_nonces_are_refused(
    client: httpx.AsyncClient, platform: Platform, oidc_issuer: Any
) -> None:
    use_issuer(platform, oidc_issuer)
    email = unique_email("attacker")

    n = await nonce(client)
    wrong_nonce = await client.post(
        "/v1/auth/oauth/local",
        json={"idToken": oidc_issuer.mint(sub="x", email=email, nonce="other"), "nonce": n},
    )
    unknown_nonce = await client.post(
        "/v1/auth/oauth/local",
        json={
            "idToken": oidc_issuer.mint(sub="x", email=email, nonce="made-up"),
            "nonce": "made-up",
        },
    )
    expired = await client.post(
        "/v1/auth/oauth/local",
        json={"idToken": oidc_issuer.mint(sub="x", email=email, exp_in=-120)},
    )
    unverified_email = await client.post(
        "/v1/auth/oauth/local",
        json={"idToken": oidc_issuer.mint(sub="y", email=email, email_verified=False)},
    )
    unknown_provider = await client.post("/v1/auth/oauth/nope", json={"idToken": "x.y.z"})

    assert wrong_nonce.status_code == 401
    assert error_code(wrong_nonce) == "INVALID_CREDENTIALS"
    assert unknown_nonce.status_code == 422
    assert expired.status_code == 401
    assert unverified_email.status_code == 401
    assert unknown_provider.status_code == 404


async def test_a_token_without_nonce_is_accepted_once(
    client: httpx.AsyncClient, platform: Platform, oidc_issuer: Any
) -> None:
    use_issuer(platform, oidc_issuer)
    token = oidc_issuer.mint(sub=uuid.uuid4().hex, email=unique_email("once"))

    first = await client.post("/v1/auth/oauth/local", json={"idToken": token})
    replay = await client.post("/v1/auth/oauth/local", json={"idToken": token})

    assert first.status_code == 200
    assert replay.status_code == 401
