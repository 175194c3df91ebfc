"""CSRF protection for every form: a signed double-submit token bound to the login session.

The browser holds a random value in the HttpOnly ``kk_csrf`` cookie; each form carries
``HMAC(key, cookie value : session id)`` in a hidden ``csrf_token`` field. A forged cross-site POST
cannot read the cookie (and SameSite=Lax keeps it from being sent anyway), so it cannot produce the
token; binding the session id means a token minted before a login is refused after it.
Every state-changing request to a page router is checked by ``csrf_protect``.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from markupsafe import Markup, escape
from starlette.responses import Response

from klearkarma.core.crypto import keyed_hash, random_token
from klearkarma.core.errors import Forbidden
from klearkarma.identity.policy import Principal
from klearkarma.web.cookies import CSRF_COOKIE, csrf_key, set_cookie
from klearkarma.web.session import MaybePageUser

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_COOKIE_MAX_AGE = 365 * 24 * 3600


class CsrfRefused(Forbidden):
    code = "CSRF_FAILED"
    default_message = (
        "This form has expired or did not come from this site. Go back, reload the page and "
        "try again."
    )


def _binding(user: Principal | None) -> str:
    return str(user.session_id) if user is not None else "-"


def _cookie_secret(request: Request) -> str:
    """This browser's CSRF secret, minted (and set on the response by ``render``) if absent."""
    minted: str | None = getattr(request.state, "csrf_cookie", None)
    if minted:
        return minted
    current = request.cookies.get(CSRF_COOKIE)
    if current and 20 <= len(current) <= 100:
        return current
    request.state.csrf_cookie = random_token()
    return str(request.state.csrf_cookie)


def csrf_token(request: Request) -> str:
    """The token forms on this page must send back."""
    user: Principal | None = getattr(request.state, "page_user", None)
    secret = _cookie_secret(request)
    return keyed_hash(csrf_key(request), f"{secret}:{_binding(user)}")


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, escape(csrf_token(request))
    )


def persist_csrf_cookie(request: Request, response: Response) -> None:
    minted: str | None = getattr(request.state, "csrf_cookie", None)
    if minted:
        set_cookie(request, response, CSRF_COOKIE, minted, max_age=_COOKIE_MAX_AGE)


async def csrf_protect(request: Request, user: MaybePageUser) -> None:
    """Refuse a state-changing request whose form does not carry this browser's token."""
    if request.method in SAFE_METHODS:
        return
    secret = request.cookies.get(CSRF_COOKIE)
    form = await request.form()
    sent = form.get(FIELD)
    if not secret or not isinstance(sent, str):
        raise CsrfRefused()
    expected = keyed_hash(csrf_key(request), f"{secret}:{_binding(user)}")
    if not hmac.compare_digest(sent, expected):
        raise CsrfRefused()
