"""Two-factor authentication with real TOTP codes, recovery codes, and the admin requirement."""

from __future__ import annotations

import time

import httpx
import pyotp

from klearkarma.core.db import Database
from klearkarma.identity.service import ensure_admin
from tests.identity.helpers import PASSWORD, bearer, error_code, login, register, unique_email


def next_code(secret: str, steps_ahead: int = 1) -> str:
    """A code for a later time step: each step's code is accepted once."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + steps_ahead * totp.interval)


async def enrol(client: httpx.AsyncClient, access: str) -> tuple[str, list[str]]:
    setup = await client.post("/v1/auth/2fa/setup", headers=bearer(access))
    assert setup.status_code == 200, setup.text
    secret = setup.json()["data"]["secret"]
    assert setup.json()["data"]["otpauthUri"].startswith("otpauth://totp/Klear%20Karma:")
    enable = await client.post(
        "/v1/auth/2fa/enable", json={"otp": pyotp.TOTP(secret).now()}, headers=bearer(access)
    )
    assert enable.status_code == 200, enable.text
    return secret, enable.json()["data"]["recoveryCodes"]


async def test_full_totp_journey(client: httpx.AsyncClient) -> None:
    email = unique_email("mfa")
    access = (await register(client, email=email))["tokens"]["accessToken"]

    bad_enable_setup = await client.post("/v1/auth/2fa/setup", headers=bearer(access))
    wrong = await client.post("/v1/auth/2fa/enable", json={"otp": "000000"}, headers=bearer(access))
    assert bad_enable_setup.status_code == 200
    assert wrong.status_code == 422
    secret, codes = await enrol(client, access)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    without = await login(client, email)
    assert without.status_code == 401
    assert error_code(without) == "MFA_REQUIRED"
    bad = await login(client, email, otp="123456")
    assert bad.status_code == 401
    assert error_code(bad) == "INVALID_CREDENTIALS"
    code = next_code(secret)
    good = await login(client, email, otp=code)
    replay = await login(client, email, otp=code)
    assert good.status_code == 200
    assert good.json()["data"]["user"]["mfaEnabled"] is True
    assert replay.status_code == 401  # the same code never works twice


async def test_recovery_codes_work_once(client: httpx.AsyncClient) -> None:
    email = unique_email("recovery")
    access = (await register(client, email=email))["tokens"]["accessToken"]
    _, codes = await enrol(client, access)

    first = await login(client, email, otp=codes[0].upper())
    again = await login(client, email, otp=codes[0])
    other = await login(client, email, otp=codes[1].replace("-", ""))

    assert first.status_code == 200
    assert again.status_code == 401
    assert other.status_code == 200


async def test_disable_needs_a_valid_code(client: httpx.AsyncClient) -> None:
    email = unique_email("disable")
    access = (await register(client, email=email))["tokens"]["accessToken"]
    secret, _ = await enrol(client, access)

    refused = await client.post(
        "/v1/auth/2fa/disable", json={"otp": "111111"}, headers=bearer(access)
    )
    done = await client.post(
        "/v1/auth/2fa/disable", json={"otp": next_code(secret)}, headers=bearer(access)
    )

    assert refused.status_code == 422
    assert done.status_code == 200
    assert (await login(client, email)).status_code == 200


async def test_admins_must_enrol_before_admin_work(client: httpx.AsyncClient, db: Database) -> None:
    email = unique_email("admin")
    async with db.transaction() as session:
        await ensure_admin(session, email=email, password=PASSWORD, password_rounds=4)

    first = await login(client, email)
    assert first.status_code == 200
    data = first.json()["data"]
    assert data["mfaSetupRequired"] is True
    limited = bearer(data["tokens"]["accessToken"])
    denied = await client.get("/v1/admin/security-events", headers=limited)
    assert denied.status_code == 403
    assert error_code(denied) == "FORBIDDEN"

    secret, _ = await enrol(client, data["tokens"]["accessToken"])
    full = await login(client, email, otp=next_code(secret))
    assert full.json()["data"]["mfaSetupRequired"] is False
    admin = bearer(full.json()["data"]["tokens"]["accessToken"])
    allowed = await client.get("/v1/admin/security-events", headers=admin)
    keep_on = await client.post(
        "/v1/auth/2fa/disable", json={"otp": next_code(secret, 2)}, headers=admin
    )
    assert allowed.status_code == 200
    assert keep_on.status_code == 403
    denied_events = [e for e in allowed.json()["data"] if e["eventType"] == "permission_denied"]
    assert denied_events
    assert denied_events[0]["details"]["permission"] == "admin:access"
