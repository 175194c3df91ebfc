"""Errors on page routes render as HTML pages; ``/v1`` and API clients keep the JSON envelope.

A request gets the HTML page when it is not under ``/v1`` and its ``Accept`` asks for HTML (what a
browser's navigation sends); scripts and API clients get the envelope exactly as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klearkarma.core.errors import AppError
from klearkarma.platform import platform_of
from klearkarma.web.rendering import redirect, render
from klearkarma.web.session import LoginRequired, load_page_user, login_url

log = structlog.get_logger("klearkarma.web")

Handler = Callable[[Request, Exception], Awaitable[Response]]
API_PREFIXES = ("/v1/", "/docs", "/openapi.json", "/metrics", "/graphql", "/static/")

TITLES = {
    400: "That link did not work",
    401: "Please sign in",
    403: "You can't do that here",
    404: "We couldn't find that page",
    405: "That didn't work",
    409: "That has changed",
    413: "That file is too large",
    422: "Please check what you entered",
    429: "Slow down a little",
    500: "Something went wrong on our side",
    503: "We'll be right back",
}


def wants_html(path: str, accept: str) -> bool:
    return not path.startswith(API_PREFIXES) and "text/html" in accept


def _status_and_message(exc: Exception) -> tuple[int, str | None]:
    if isinstance(exc, AppError):
        return exc.status_code, exc.message
    if isinstance(exc, RequestValidationError):
        return 422, "Some of the values sent were not valid."
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, None
    return 500, None


async def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """The HTML error page for ``status``; greets a signed-in visitor when it can."""
    if status < 500 and not hasattr(request.state, "page_user"):
        try:
            async with platform_of(request).db.transaction() as session:
                await load_page_user(request, session)
        except Exception:  # the page must render even when the database is the problem
            request.state.page_user = None
    if not hasattr(request.state, "page_user"):
        request.state.page_user = None
    template = "errors/404.html" if status == 404 else "errors/error.html"
    context: dict[str, Any] = {
        "status": status,
        "title": TITLES.get(status, "Something went wrong"),
        "message": message,
        "request_id": request.headers.get("x-request-id") or "",
    }
    return render(request, template, context, status_code=status)


def _html_or(original: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not wants_html(request.url.path, request.headers.get("accept", "")):
            return await original(request, exc)
        status, message = _status_and_message(exc)
        response = await error_page(request, status, message if status != 500 else None)
        headers = getattr(exc, "headers", None)
        if headers:
            for name, value in dict(headers).items():
                response.headers.setdefault(name, value)
        return response

    return handle


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return redirect(request, login_url(exc.next_url), "Please sign in to continue.", "info")


class PageErrorMiddleware:
    """An unhandled crash on a page route becomes the HTML 500 page (the edge logs it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), "")
        if not wants_html(scope["path"], accept):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            log.exception("http.unhandled_error", path=scope["path"])
            request = Request(scope, receive)
            request.state.page_user = None
            response = await error_page(request, 500)
            await response(scope, receive, send)


def install_error_pages(app: FastAPI) -> None:
    for exc_type in (AppError, RequestValidationError, StarletteHTTPException):
        original = cast(Handler, app.exception_handlers[exc_type])  # all three are async
        app.add_exception_handler(exc_type, _html_or(original))
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_middleware(PageErrorMiddleware)
