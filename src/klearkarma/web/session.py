"""Page sessions: who is signed in, from the session cookie; dependencies that demand a user.

``MaybePageUser`` resolves the cookie once per request (every page router runs it, so the layout
knows whom to greet); ``PageUser`` sends anonymous visitors to the login page and brings them back
afterwards; ``PagePermission("bookings:create")`` also checks the role.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import Response

from klearkarma.core.context import user_id_var
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import Forbidden
from klearkarma.identity import web_sessions
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of
from klearkarma.web.cookies import (
    SESSION_COOKIE,
    delete_cookie,
    session_key,
    set_cookie,
)


class LoginRequired(Exception):  # a signal, not a failure: it becomes a redirect
    """Raised by ``PageUser`` for anonymous visitors; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def safe_next(candidate: str | None, default: str = "/") -> str:
    """A local path to return to after login; anything else (other sites, //host) is ignored."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if "\\" in candidate or any(ord(ch) < 32 for ch in candidate):
        return default
    return candidate


def login_url(next_url: str) -> str:
    return f"/login?next={quote(safe_next(next_url), safe='/')}"


async def load_page_user(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user of this request, or None; remembered on ``request.state``."""
    if hasattr(request.state, "page_user"):
        user: Principal | None = request.state.page_user
        return user
    raw = request.cookies.get(SESSION_COOKIE)
    session_id = web_sessions.session_id_from_cookie(session_key(request), raw)
    principal = await web_sessions.principal_for(session, session_id) if session_id else None
    request.state.page_user = principal
    # A cookie that names no open session (logged out elsewhere, expired) is cleared on the way out.
    request.state.drop_session_cookie = raw is not None and principal is None
    if principal is not None:
        request.state.user_id = str(principal.user_id)
        user_id_var.set(str(principal.user_id))
    return principal


MaybePageUser = Annotated[Principal | None, Depends(load_page_user)]


async def require_page_user(request: Request, user: MaybePageUser) -> Principal:
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path if request.method == "GET" else request.url.path)
    return user


PageUser = Annotated[Principal, Depends(require_page_user)]


class PagePermission:
    """A signed-in user whose role grants ``permission`` (others get the 403 page)."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, user: PageUser) -> Principal:
        if not user.can(self.permission):
            raise Forbidden("Your account cannot do this.")
        return user


def start_cookie_session(request: Request, response: Response, session_id: uuid.UUID) -> None:
    """Sign the browser in to ``session_id`` (a session the identity context opened)."""
    settings = platform_of(request).settings
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        web_sessions.cookie_value(session_key(request), session_id),
        max_age=settings.refresh_token_ttl_days * 24 * 3600,
    )


def end_cookie_session(request: Request, response: Response) -> None:
    delete_cookie(request, response, SESSION_COOKIE)
