"""Cookie names and attributes shared by the web app's session, CSRF and flash cookies.

Every cookie we set is HttpOnly (no script needs to read it), SameSite=Lax (a cross-site POST
carries none of them) and Secure in production (HTTPS only).
"""

from __future__ import annotations

from functools import cache

from starlette.requests import HTTPConnection
from starlette.responses import Response

from klearkarma.core.crypto import derive_key
from klearkarma.identity.web_sessions import cookie_key
from klearkarma.platform import platform_of

SESSION_COOKIE = "kk_session"
CSRF_COOKIE = "kk_csrf"
FLASH_COOKIE = "kk_flash"


@cache
def _keys(secret: str) -> tuple[bytes, bytes, bytes]:
    return cookie_key(secret), derive_key(secret, "web-csrf"), derive_key(secret, "web-flash")


def session_key(connection: HTTPConnection) -> bytes:
    return _keys(platform_of(connection).settings.secret_key.get_secret_value())[0]


def csrf_key(connection: HTTPConnection) -> bytes:
    return _keys(platform_of(connection).settings.secret_key.get_secret_value())[1]


def flash_key(connection: HTTPConnection) -> bytes:
    return _keys(platform_of(connection).settings.secret_key.get_secret_value())[2]


def set_cookie(
    connection: HTTPConnection,
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=platform_of(connection).settings.is_production,
    )


def delete_cookie(connection: HTTPConnection, response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=platform_of(connection).settings.is_production,
    )
