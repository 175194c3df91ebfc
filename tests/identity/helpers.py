"""Small helpers for identity journeys: register, sign in, read what the platform queued."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from klearkarma.core.db import Database

PASSWORD = "Sunrise-Mantra-4821"
NEW_PASSWORD = "Monsoon-Lantern-7394"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def register(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    user_type: str = "seeker",
    first_name: str = "Asha",
    last_name: str = "Verma",
) -> dict[str, Any]:
    response = await client.post(
        "/v1/auth/register",
        json={
            "email": email or unique_email(),
            "password": password,
            "firstName": first_name,
            "lastName": last_name,
            "userType": user_type,
        },
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, otp: str | None = None
) -> httpx.Response:
    body = {"email": email, "password": password}
    if otp is not None:
        body["otp"] = otp
    return await client.post("/v1/auth/login", json=body)


async def queued(db: Database, task: str) -> list[dict[str, Any]]:
    """Arguments of the jobs of ``task`` waiting in the queue, oldest first."""
    async with db.session_factory() as session:
        rows = await session.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"),
            {"task": task},
        )
        return [row[0] for row in rows]


async def last_email_to(db: Database, address: str) -> dict[str, Any]:
    mails = [a for a in await queued(db, "notifications.send_email") if address in a["to"]]
    assert mails, f"no email queued for {address}"
    return mails[-1]


def token_in(mail: dict[str, Any]) -> str:
    match = re.search(r"\?token=([A-Za-z0-9_\-]+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["success"] is False, body
    return str(body["error"]["code"])


async def admin_headers(client: httpx.AsyncClient, db: Database) -> dict[str, str]:
    """Sign in a fresh admin (created as the CLI would), enrolled in two-factor authentication."""
    import time

    import pyotp

    from klearkarma.identity.service import ensure_admin

    email = unique_email("ops")
    async with db.transaction() as session:
        await ensure_admin(session, email=email, password=PASSWORD, password_rounds=4)
    access = (await login(client, email)).json()["data"]["tokens"]["accessToken"]
    setup = await client.post("/v1/auth/2fa/setup", headers=bearer(access))
    totp = pyotp.TOTP(setup.json()["data"]["secret"])
    await client.post("/v1/auth/2fa/enable", json={"otp": totp.now()}, headers=bearer(access))
    signed_in = await login(client, email, otp=totp.at(time.time() + totp.interval))
    return bearer(signed_in.json()["data"]["tokens"]["accessToken"])
