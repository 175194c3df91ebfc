"""Account pages over HTTP: sign-up, email verification, password reset, two-factor sign-in and
the settings pages, checked against the rows they leave."""

from __future__ import annotations

import json
import re
import time

import httpx
import pyotp
from sqlalchemy import select

from klearkarma.core.db import Database
from klearkarma.identity.models import AuthSession, Consent, User
from tests.identity.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    last_email_to,
    register,
    token_in,
    unique_email,
)
from tests.web.helpers import HTML, csrf_of, get_page, post_form, sign_in


async def _user(db: Database, email: str) -> User:
    async with db.transaction() as session:
        found = await session.scalar(select(User).where(User.email == email))
        assert found is not None
        return found


async def _enable_2fa(client: httpx.AsyncClient) -> tuple[pyotp.TOTP, list[str]]:
    setup = await post_form(client, "/account/2fa/setup", {}, token_from="/account/security")
    secret = re.search(r"data-mfa-secret>([A-Z2-7 ]+)<", setup.text)
    assert secret is not None, setup.text
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    enabled = await client.post(
        "/account/2fa/enable",
        data={"csrf_token": csrf_of(setup), "otp": totp.now()},
        headers=HTML,
    )
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", enabled.text)
    assert len(codes) == 10
    return totp, codes


async def test_sign_up_signs_in_and_the_emailed_link_confirms_the_address(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("new")

    created = await post_form(
        client,
        "/signup",
        {
            "first_name": "Kavya",
            "last_name": "Menon",
            "email": email,
            "password": PASSWORD,
            "user_type": "seeker",
        },
    )

    assert created.status_code == 303
    assert "Sign out" in (await get_page(client, "/")).text
    assert (await _user(db, email)).email_verified is False
    token = token_in(await last_email_to(db, email))
    page = await get_page(client, f"/verify-email?token={token}")
    assert (await _user(db, email)).email_verified is False  # opening the link changes nothing
    confirmed = await client.post(
        "/verify-email", data={"csrf_token": csrf_of(page), "token": token}, headers=HTML
    )
    assert confirmed.status_code == 303
    assert (await _user(db, email)).email_verified is True


async def test_sign_up_shows_field_errors_and_keeps_what_was_typed(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("weak")

    refused = await post_form(
        client,
        "/signup",
        {"first_name": "Kavya", "last_name": "", "email": email, "password": "short"},
    )

    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    assert f'value="{email}"' in refused.text
    assert 'href="#field-last_name"' in refused.text
    async with db.transaction() as session:
        assert await session.scalar(select(User).where(User.email == email)) is None


async def test_forgot_and_reset_password_signs_out_everywhere(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("forgetful")
    await register(client, email=email)
    await sign_in(client, email, PASSWORD)

    asked = await post_form(client, "/forgot-password", {"email": email})
    token = token_in(await last_email_to(db, email))
    form = await get_page(client, f"/reset-password?token={token}")
    reset = await client.post(
        "/reset-password",
        data={"csrf_token": csrf_of(form), "token": token, "password": NEW_PASSWORD},
        headers=HTML,
    )

    assert asked.headers["location"] == "/login"
    assert reset.headers["location"] == "/login"
    user = await _user(db, email)
    async with db.transaction() as session:
        open_sessions = await session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
            )
        )
        assert list(open_sessions) == []
    await sign_in(client, email, NEW_PASSWORD)


async def test_two_factor_sign_in_asks_for_the_code_and_refuses_a_wrong_one(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email("careful")
    await register(client, email=email)
    await sign_in(client, email, PASSWORD)
    totp, codes = await _enable_2fa(client)
    await post_form(client, "/logout", {}, token_from="/")

    step = await post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert "Enter your code" in step.text
    ticket = re.search(r'name="ticket" value="([^"]+)"', step.text)
    assert ticket is not None
    wrong = await client.post(
        "/login/otp",
        data={"csrf_token": csrf_of(step), "ticket": ticket.group(1), "otp": "000000"},
        headers=HTML,
    )
    assert wrong.status_code == 401
    assert "The two-factor code is not valid." in wrong.text
    right = await client.post(
        "/login/otp",
        data={
            "csrf_token": csrf_of(wrong),
            "ticket": ticket.group(1),
            "otp": totp.at(time.time() + totp.interval),
        },
        headers=HTML,
    )
    assert right.status_code == 303
    assert "Sign out" in (await get_page(client, "/")).text

    # Turning it off needs a valid code too (the next TOTP step is spent: use a recovery code).
    refused = await post_form(
        client, "/account/2fa/disable", {"otp": "000000"}, token_from="/account/security"
    )
    turned_off = await post_form(
        client,
        "/account/2fa/disable",
        {"otp": codes[0]},
        token_from="/account/security",
    )
    assert refused.status_code == 422
    assert turned_off.status_code == 303
    assert "Set up two-factor" in (await get_page(client, "/account/security")).text


async def test_settings_save_profile_consents_and_export(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("settled")
    await register(client, email=email)
    await sign_in(client, email, PASSWORD)

    saved = await post_form(
        client,
        "/account/profile",
        {"first_name": "Asha", "last_name": "Rao", "phone": "", "timezone": "Europe/London"},
        token_from="/account",
    )
    bad = await post_form(
        client,
        "/account/profile",
        {"first_name": "Asha", "last_name": "Rao", "phone": "", "timezone": "Mars/Olympus"},
        token_from="/account",
    )
    consents = await post_form(
        client, "/account/consents", {"marketing": "on"}, token_from="/account/privacy"
    )
    export = await client.get("/account/export", headers=HTML)

    assert saved.status_code == 303
    assert bad.status_code == 422
    assert "Use an IANA time zone" in bad.text
    user = await _user(db, email)
    assert (user.last_name, user.timezone) == ("Rao", "Europe/London")
    assert consents.status_code == 303
    async with db.transaction() as session:
        kinds = {
            (c.kind.value, c.granted)
            for c in await session.scalars(select(Consent).where(Consent.user_id == user.id))
        }
    assert kinds == {("marketing", True)}
    assert "attachment" in export.headers["content-disposition"]
    assert json.loads(export.text)["data"]["identity"]["account"]["email"] == email


async def test_change_password_and_delete_account(client: httpx.AsyncClient, db: Database) -> None:
    email = unique_email("leaving")
    await register(client, email=email)
    await sign_in(client, email, PASSWORD)

    wrong = await post_form(
        client,
        "/account/password",
        {"current_password": "nope-nope-nope", "new_password": NEW_PASSWORD},
        token_from="/account/security",
    )
    changed = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        token_from="/account/security",
    )
    kept = await post_form(
        client,
        "/account/delete",
        {"password": NEW_PASSWORD, "confirm": "delete"},
        token_from="/account/privacy",
    )
    user_id = (await _user(db, email)).id
    deleted = await post_form(
        client,
        "/account/delete",
        {"password": NEW_PASSWORD, "confirm": "DELETE"},
        token_from="/account/privacy",
    )

    assert wrong.status_code == 422
    assert "The current password is incorrect." in wrong.text
    assert changed.status_code == 303
    assert kept.status_code == 422
    assert deleted.status_code == 303
    async with db.transaction() as session:
        erased = await session.get(User, user_id)
        assert erased is not None
        assert erased.deleted_at is not None
        assert erased.email != email
    assert "Sign out" not in (await get_page(client, "/")).text


async def test_avatar_upload_stores_a_re_encoded_photo_and_refuses_a_non_image(
    client: httpx.AsyncClient, db: Database
) -> None:
    import io

    from PIL import Image

    email = unique_email("photo")
    await register(client, email=email)
    await sign_in(client, email, PASSWORD)
    png = io.BytesIO()
    Image.new("RGB", (300, 200), (47, 107, 87)).save(png, "PNG")
    token = csrf_of(await get_page(client, "/account"))

    uploaded = await client.post(
        "/account/avatar",
        data={"csrf_token": token},
        files={"avatar": ("me.png", png.getvalue(), "image/png")},
        headers=HTML,
    )
    refused = await client.post(
        "/account/avatar",
        data={"csrf_token": token},
        files={"avatar": ("me.png", b"not an image at all", "image/png")},
        headers=HTML,
    )

    assert uploaded.status_code == 303
    user = await _user(db, email)
    assert user.avatar_key is not None
    page = await get_page(client, "/account")
    assert f"/v1/users/{user.id}/avatar?size=thumbnail" in page.text
    assert refused.status_code == 422
    assert 'href="#field-avatar"' in refused.text
    assert (await _user(db, email)).avatar_key == user.avatar_key
