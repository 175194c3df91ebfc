"""The web app's foundation: cookie sessions, CSRF, flash messages, error pages, the PWA files."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from klearkarma.app import create_app
from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import Database
from klearkarma.identity.models import AuthSession, SecurityEvent
from klearkarma.platform import Platform
from tests.conftest import production_settings
from tests.identity.helpers import PASSWORD, register, unique_email
from tests.web.helpers import HTML, csrf_of, get_page, post_form, sign_in


async def _sessions_of(db: Database, user_id: str) -> list[AuthSession]:
    async with db.transaction() as session:
        return list(
            await session.scalars(select(AuthSession).where(AuthSession.user_id == user_id))
        )


async def test_login_sets_a_hardened_session_cookie_backed_by_an_identity_session(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = (await register(client, email=unique_email("web")))["user"]
    before = len(await _sessions_of(db, user["id"]))

    response = await sign_in(client, user["email"], PASSWORD)

    assert response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("kk_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # only in production
    rows = await _sessions_of(db, user["id"])
    assert len(rows) == before + 1
    home = await get_page(client, "/")
    assert "Sign out" in home.text
    assert "Welcome back. You are signed in." in home.text
    # A flash is shown once.
    assert "Welcome back" not in (await get_page(client, "/")).text


async def test_logout_revokes_the_session_row_and_the_cookie_stops_working(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = (await register(client, email=unique_email("web")))["user"]
    await sign_in(client, user["email"], PASSWORD)
    stolen = client.cookies.get("kk_session")

    response = await post_form(client, "/logout", {}, token_from="/")

    assert response.status_code == 303
    newest = max(await _sessions_of(db, user["id"]), key=lambda s: s.created_at)
    assert newest.revoked_reason == "logout"
    client.cookies.set("kk_session", stolen or "")
    assert "Sign out" not in (await get_page(client, "/")).text


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = (await register(client, email=unique_email("web")))["user"]
    before = len(await _sessions_of(db, user["id"]))
    await get_page(client, "/login")  # the browser now holds a CSRF cookie
    body = {"email": user["email"], "password": PASSWORD}

    missing = await client.post("/login", data=body, headers=HTML)
    wrong = await client.post("/login", data={**body, "csrf_token": "0" * 64}, headers=HTML)

    for refused in (missing, wrong):
        assert refused.status_code == 403
        assert "This form has expired" in refused.text
        assert "kk_session" not in refused.headers.get("set-cookie", "")
    assert len(await _sessions_of(db, user["id"])) == before
    async with db.transaction() as session:
        logins = await session.scalar(
            select(func.count())
            .select_from(SecurityEvent)
            .where(SecurityEvent.user_id == user["id"], SecurityEvent.event_type == "login")
        )
    assert logins == 1  # the registration's only


async def test_a_token_minted_for_another_browser_or_before_login_is_refused(
    client: httpx.AsyncClient,
) -> None:
    user = (await register(client, email=unique_email("web")))["user"]
    anonymous_token = csrf_of(await get_page(client, "/login"))
    await sign_in(client, user["email"], PASSWORD)

    # The token was bound to the anonymous state: after signing in it no longer works.
    response = await client.post("/logout", data={"csrf_token": anonymous_token}, headers=HTML)

    assert response.status_code == 403
    assert "Sign out" in (await get_page(client, "/")).text  # still signed in


async def test_wrong_password_shows_the_form_again_with_an_alert(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email("web")
    await register(client, email=email)

    response = await post_form(client, "/login", {"email": email, "password": "not-it-at-all"})

    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "The email or password is incorrect." in response.text
    assert f'value="{email}"' in response.text
    assert "kk_session=" not in response.headers.get("set-cookie", "")


async def test_pages_get_html_errors_while_the_api_keeps_its_envelope(
    client: httpx.AsyncClient,
) -> None:
    page = await get_page(client, "/no-such-page")
    api = await client.get("/v1/no-such-thing", headers=HTML)
    scripted = await client.get("/no-such-page")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "We couldn't find that page" in page.text
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "NOT_FOUND"
    assert scripted.json()["error"]["code"] == "NOT_FOUND"


async def test_root_serves_the_home_page_to_browsers_and_the_index_to_api_clients(
    client: httpx.AsyncClient,
) -> None:
    page = await get_page(client, "/")
    api = await client.get("/")

    assert "Find a practitioner you can trust" in page.text
    assert '<a class="skip-link" href="#main">' in page.text
    assert api.json()["data"]["links"]["docs"] == "/docs"


async def test_manifest_and_service_worker_describe_the_installable_app(
    client: httpx.AsyncClient,
) -> None:
    manifest = await client.get("/manifest.webmanifest")
    worker = await client.get("/sw.js")
    offline = await get_page(client, "/offline")

    assert manifest.json()["start_url"] == "/?source=pwa"
    assert {icon["sizes"] for icon in manifest.json()["icons"]} >= {"192x192", "512x512"}
    assert worker.headers["content-type"].startswith("application/javascript")
    assert '"/offline"' in worker.text
    assert "__SHELL__" not in worker.text
    for icon in manifest.json()["icons"]:
        assert (await client.get(icon["src"])).status_code == 200
    assert "You are offline" in offline.text


async def test_login_never_redirects_to_another_site(client: httpx.AsyncClient) -> None:
    user = (await register(client, email=unique_email("web")))["user"]
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = await post_form(
            client,
            "/login",
            {"email": user["email"], "password": PASSWORD, "next": target},
            token_from="/login",
        )
        assert response.headers["location"] == "/"
        await post_form(client, "/logout", {}, token_from="/")


async def test_pages_need_a_login_and_come_back_after_it(client: httpx.AsyncClient) -> None:
    user = (await register(client, email=unique_email("web")))["user"]

    bounced = await get_page(client, "/account/privacy")
    signed_in = await post_form(
        client,
        "/login",
        {"email": user["email"], "password": PASSWORD, "next": "/account/privacy"},
    )

    assert bounced.status_code == 303
    assert bounced.headers["location"] == "/login?next=/account/privacy"
    assert signed_in.headers["location"] == "/account/privacy"


async def test_a_crash_on_a_page_is_an_html_500_and_on_the_api_a_json_one(
    platform: Platform,
) -> None:
    app = create_app(platform=platform)

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    app.add_api_route("/v1/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        page = await http.get("/boom", headers=HTML)
        api = await http.get("/v1/boom", headers=HTML)

    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert "secret internals" not in page.text
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "INTERNAL_ERROR"


async def test_production_session_cookies_are_secure(
    tmp_path: Path, database_url: str, db: Database, cache: CacheBackend
) -> None:
    settings = production_settings(tmp_path, database_url)
    production = Platform.build(settings, database_url=database_url, db=db, cache=cache)
    app = create_app(platform=production)
    # Secure cookies travel only over HTTPS, as behind the production load balancer.
    https = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=https, base_url="https://testserver") as client:
        user = (await register(client, email=unique_email("prod")))["user"]
        response = await sign_in(client, user["email"], PASSWORD)
    await production.gateway.aclose()
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("kk_session="))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
