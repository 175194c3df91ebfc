"""Helpers for page tests over HTTP: read a form's CSRF token, sign in through the login page."""

from __future__ import annotations

import re

import httpx

HTML = {"Accept": "text/html,application/xhtml+xml"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token the page's forms carry."""
    match = _TOKEN.search(page.text)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


async def get_page(client: httpx.AsyncClient, path: str) -> httpx.Response:
    return await client.get(path, headers=HTML)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], *, token_from: str | None = None
) -> httpx.Response:
    """POST a form the way a browser does, with the token of the page at ``token_from``."""
    page = await get_page(client, token_from or path)
    return await client.post(path, data={**data, "csrf_token": csrf_of(page)}, headers=HTML)


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response
