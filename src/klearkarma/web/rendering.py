"""Rendering pages: one Jinja2 environment, the layout's shared context, redirects with a notice.

``render`` gives every template ``user`` (the signed-in ``Principal`` or None), ``csrf_input()``
(the hidden field every form must include), ``flashes`` and ``static()``; it also sets or clears the
cookies that rendering implies (a new CSRF secret, a consumed flash, a dead session cookie).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from klearkarma.web.csrf import csrf_input, persist_csrf_cookie
from klearkarma.web.flash import Level, clear_taken_flashes, flash, take_flashes
from klearkarma.web.session import end_cookie_session

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
SITE_NAME = "Klear Karma"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@cache
def _fingerprint(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: cache forever, change the URL when the file changes."""
    return f"/static/{path}?v={_fingerprint(path)}"


def money(amount: Decimal | float | int | None, currency: str = "INR") -> str:
    """₹1,800 / ₹1,800.50 — amounts as people read them."""
    if amount is None:
        return ""
    value = Decimal(str(amount))
    symbol = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£"}.get(currency, f"{currency} ")
    text = f"{value:,.0f}" if value == value.to_integral() else f"{value:,.2f}"
    return f"{symbol}{text}"


def local_time(moment: datetime | None, zone: str | None = None, fmt: str = "long") -> str:
    """A UTC instant as a reader in ``zone`` sees it (the account's zone on most pages)."""
    if moment is None:
        return ""
    shown = moment.astimezone(ZoneInfo(zone)) if zone else moment
    if fmt == "date":
        return f"{shown:%a %d %b %Y}"
    if fmt == "time":
        return f"{shown:%H:%M}"
    return f"{shown:%a %d %b %Y, %H:%M} ({shown.tzname()})"


def stars(rating: float | None) -> str:
    return f"{rating:.1f}" if rating else "New"


templates.env.globals.update(static=static_url, site_name=SITE_NAME)
templates.env.filters.update(money=money, local_time=local_time, stars=stars)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """Render ``name`` inside the layout, with the session, CSRF and flash context."""

    def csrf_field() -> Markup:
        return csrf_input(request)

    values: dict[str, Any] = {
        "user": getattr(request.state, "page_user", None),
        "csrf_input": csrf_field,
        "flashes": take_flashes(request),
        "current_path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> None:
    """Cookies a page response implies, and no caching of personal pages by shared caches."""
    persist_csrf_cookie(request, response)
    clear_taken_flashes(request, response)
    if getattr(request.state, "drop_session_cookie", False):
        end_cookie_session(request, response)
    response.headers.setdefault("Cache-Control", "no-store" if _personal(request) else "no-cache")


def _personal(request: Request) -> bool:
    return getattr(request.state, "page_user", None) is not None


def redirect(
    request: Request, url: str, notice: str | None = None, level: Level = "success"
) -> RedirectResponse:
    """303 See Other to ``url`` (the GET after a POST), optionally with a flash notice."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        flash(request, response, notice, level)
    return response
