"""Registration, login, tokens, logout and password journeys through the API."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from sqlalchemy import func, select

from klearkarma.core.db import Database
from klearkarma.identity.keys import identity_keys
from klearkarma.identity.models import SecurityEvent
from klearkarma.platform import Platform
from tests.identity.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    bearer,
    error_code,
    last_email_to,
    login,
    register,
    token_in,
    unique_email,
)


async def test_register_signs_in_and_queues_a_verification_email(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("new")

    data = await register(client, email=email.upper(), first_name="Ira", last_name="Sen")

    user, tokens = data["user"], data["tokens"]
    assert user["email"] == email
    assert (user["firstName"], user["lastName"], user["userType"]) == ("Ira", "Sen", "seeker")
    assert (user["status"], user["emailVerified"], user["phoneVerified"]) == (
        "active",
        False,
        False,
    )
    assert set(user) >= {"id", "createdAt"}
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900
    assert tokens["refreshToken"]
    assert tokens["accessToken"].count(".") == 2
    mail = await last_email_to(db, email)
    assert mail["subject"] == "Confirm your email address"

    profile = await client.get("/v1/users/profile", headers=bearer(tokens["accessToken"]))
    assert profile.status_code == 200
    assert profile.json()["data"]["email"] == email


async def test_email_verification_token_works_once(client: httpx.AsyncClient, db: Database) -> None:
    data = await register(client)
    token = token_in(await last_email_to(db, data["user"]["email"]))

    first = await client.post("/v1/auth/verify-email", json={"token": token})
    again = await client.post("/v1/auth/verify-email", json={"token": token})
    forged = await client.post("/v1/auth/verify-email", json={"token": token[:-2] + "xx"})

    assert first.status_code == 200
    assert first.json()["data"]["emailVerified"] is True
    assert again.status_code == 400
    assert error_code(again) == "INVALID_TOKEN"
    assert forged.status_code == 400


async def test_taken_email_is_409_whatever_its_case(client: httpx.AsyncClient) -> None:
    email = unique_email("taken")
    await register(client, email=email)

    response = await client.post(
        "/v1/auth/register",
        json={
            "email": email.upper(),
            "password": PASSWORD,
            "firstName": "A",
            "lastName": "B",
            "userType": "seeker",
        },
    )

    assert response.status_code == 409
    assert error_code(response) == "CONFLICT"


async def test_registration_never_creates_an_admin(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/register",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "firstName": "A",
            "lastName": "B",
            "userType": "admin",
        },
    )

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["userType"]


async def test_weak_passwords_are_refused_with_advice(client: httpx.AsyncClient) -> None:
    for weak in ("short1!", "password123", "qwertyuiop123"):
        response = await client.post(
            "/v1/auth/register",
            json={
                "email": unique_email(),
                "password": weak,
                "firstName": "A",
                "lastName": "B",
                "userType": "seeker",
            },
        )
        assert response.status_code == 422, weak
        [detail] = response.json()["error"]["details"]
        assert detail["field"] == "password"
        assert len(detail["message"]) > 10


async def test_login_and_identical_failures_for_known_and_unknown_emails(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email("known")
    await register(client, email=email)

    good = await login(client, email)
    wrong_password = await login(client, email, "Wrong-Password-000")
    unknown = await login(client, unique_email("nobody"), "Wrong-Password-000")

    assert good.status_code == 200
    assert good.json()["data"]["user"]["email"] == email
    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json()["error"] == unknown.json()["error"]
    assert wrong_password.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("locked")
    await register(client, email=email)
    ghost = unique_email("ghost")

    known = [(await login(client, email, "Wrong-Password-000")).status_code for _ in range(6)]
    unknown = [(await login(client, ghost, "Wrong-Password-000")).status_code for _ in range(6)]
    right = await login(client, email)

    assert known == unknown == [401, 401, 401, 401, 401, 429]
    assert right.status_code == 429
    assert error_code(right) == "RATE_LIMITED"
    assert 1 <= int(right.headers["retry-after"]) <= 60
    async with db.session_factory() as session:
        flagged = await session.scalar(
            select(func.count())
            .select_from(SecurityEvent)
            .where(SecurityEvent.event_type == "account_locked", SecurityEvent.flagged.is_(True))
        )
    assert flagged >= 1


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, db: Database
) -> None:
    tokens = (await register(client))["tokens"]

    rotated = await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert rotated.status_code == 200
    new = rotated.json()["data"]["tokens"]
    assert new["refreshToken"] != tokens["refreshToken"]
    assert (
        await client.get("/v1/users/profile", headers=bearer(new["accessToken"]))
    ).status_code == 200

    reused = await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    after = await client.post("/v1/auth/refresh", json={"refreshToken": new["refreshToken"]})
    access = await client.get("/v1/users/profile", headers=bearer(new["accessToken"]))

    assert reused.status_code == 401
    assert error_code(reused) == "TOKEN_REVOKED"
    assert after.status_code == 401
    assert access.status_code == 401
    assert error_code(access) == "TOKEN_REVOKED"
    async with db.session_factory() as session:
        event = await session.scalar(
            select(SecurityEvent).where(SecurityEvent.event_type == "token_reuse")
        )
    assert event is not None
    assert event.flagged is True


async def test_logged_out_access_token_fails_at_once(client: httpx.AsyncClient) -> None:
    tokens = (await register(client))["tokens"]
    headers = bearer(tokens["accessToken"])

    out = await client.post("/v1/auth/logout", json={}, headers=headers)
    profile = await client.get("/v1/users/profile", headers=headers)
    refresh = await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})

    assert out.status_code == 200
    assert profile.status_code == 401
    assert error_code(profile) == "TOKEN_REVOKED"
    assert refresh.status_code == 401


def _forge(payload: dict[str, object], header: dict[str, object], signature: bytes = b"") -> str:
    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    return ".".join(
        [part(json.dumps(header).encode()), part(json.dumps(payload).encode()), part(signature)]
    )


async def test_tampered_expired_none_and_foreign_tokens_are_rejected(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    tokens = (await register(client))["tokens"]
    good = tokens["accessToken"]
    header_b64, payload_b64, signature = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
    signer = identity_keys(platform.settings).signer

    elevated = {**payload, "userType": "admin", "permissions": ["admin:access"]}
    tampered = ".".join([header_b64, _forge(elevated, {})[1:].split(".")[1], signature])
    none_alg = _forge(payload, {"alg": "none", "typ": "JWT"})
    foreign = jwt.encode(payload, "some-other-secret-key-of-32-bytes!!", algorithm="HS256")
    expired = signer.issue(
        user_id=__import__("uuid").UUID(payload["sub"]),
        email=payload["email"],
        user_type="seeker",
        permissions=list(payload["permissions"]),
        session_id=__import__("uuid").UUID(payload["sid"]),
        now=datetime.now(UTC) - timedelta(hours=1),
    )

    assert (await client.get("/v1/users/profile", headers=bearer(good))).status_code == 200
    for bad in (tampered, none_alg, foreign, expired, "garbage", good + "x"):
        response = await client.get("/v1/users/profile", headers=bearer(bad))
        assert response.status_code == 401, bad
    missing = await client.get("/v1/users/profile")
    assert missing.status_code == 401
    assert error_code(missing) == "UNAUTHORIZED"


async def test_forgot_password_answers_the_same_and_reset_ends_every_session(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("forgetful")
    tokens = (await register(client, email=email))["tokens"]

    known = await client.post("/v1/auth/forgot-password", json={"email": email})
    unknown = await client.post("/v1/auth/forgot-password", json={"email": unique_email("x")})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]

    token = token_in(await last_email_to(db, email))
    reset = await client.post(
        "/v1/auth/reset-password", json={"token": token, "newPassword": NEW_PASSWORD}
    )
    reuse = await client.post(
        "/v1/auth/reset-password", json={"token": token, "newPassword": NEW_PASSWORD + "x"}
    )

    assert reset.status_code == 200
    assert reuse.status_code == 400
    old_session = await client.get("/v1/users/profile", headers=bearer(tokens["accessToken"]))
    assert old_session.status_code == 401
    assert (await login(client, email)).status_code == 401
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200
    changed = await last_email_to(db, email)
    assert changed["subject"] == "Your password was changed"


async def test_change_password_keeps_this_session_and_ends_the_others(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email("changer")
    first = (await register(client, email=email))["tokens"]
    second = (await login(client, email)).json()["data"]["tokens"]

    wrong = await client.post(
        "/v1/auth/change-password",
        json={"currentPassword": "Not-The-Password-1", "newPassword": NEW_PASSWORD},
        headers=bearer(second["accessToken"]),
    )
    changed = await client.post(
        "/v1/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        headers=bearer(second["accessToken"]),
    )

    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "currentPassword"
    assert changed.status_code == 200
    assert (
        await client.get("/v1/users/profile", headers=bearer(second["accessToken"]))
    ).status_code == 200
    assert (
        await client.get("/v1/users/profile", headers=bearer(first["accessToken"]))
    ).status_code == 401
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200
