"""Flash messages: one-time notices carried across a POST → redirect → GET in a signed cookie."""

from __future__ import annotations

import base64
import hmac
import json
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from starlette.responses import Response

from klearkarma.core.crypto import keyed_hash
from klearkarma.web.cookies import FLASH_COOKIE, delete_cookie, flash_key, set_cookie

Level = Literal["success", "info", "warning", "error"]
_LEVELS = ("success", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class Flash:
    level: str
    text: str


def flash(request: Request, response: Response, text: str, level: Level = "success") -> None:
    """Show ``text`` on the next page this browser renders."""
    payload = base64.urlsafe_b64encode(json.dumps([[level, text]]).encode()).decode()
    set_cookie(
        request,
        response,
        FLASH_COOKIE,
        f"{payload}.{keyed_hash(flash_key(request), payload)}",
        max_age=300,
    )


def take_flashes(request: Request) -> list[Flash]:
    """The pending messages (the caller's response must clear the cookie: ``render`` does)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return []
    request.state.flash_taken = True
    payload, _, signature = raw.rpartition(".")
    if not hmac.compare_digest(signature, keyed_hash(flash_key(request), payload)):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload.encode()))
        return [Flash(str(level), str(text)) for level, text in items if level in _LEVELS]
    except (ValueError, TypeError):
        return []


def clear_taken_flashes(request: Request, response: Response) -> None:
    if getattr(request.state, "flash_taken", False):
        delete_cookie(request, response, FLASH_COOKIE)
