"""The HTTP edge: envelope for every error, request ids, security headers, access log, metrics.

Everything here is plain ASGI so it also wraps the 404s, 405s, 413s and crashes that never reach
a route.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klearkarma.core.context import accept_request_id, request_id_var, user_id_var
from klearkarma.core.errors import AppError, ValidationFailed
from klearkarma.core.metrics import HTTP_LATENCY, HTTP_REQUESTS
from klearkarma.core.schemas import ErrorBody, ErrorEnvelope

log = structlog.get_logger("klearkarma.http")

INTERNAL_ERROR_MESSAGE = (
    "An unexpected error occurred. Quote the request id if you contact support."
)

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}
_STATUS_MESSAGES = {
    404: "The resource was not found.",
    405: "This method is not allowed on this resource.",
    413: "The request body is too large.",
}


# Headers of a file only its owner may fetch: never cached anywhere, always saved, not shown.
PRIVATE_DOWNLOAD = {"Cache-Control": "private, no-store", "Content-Disposition": "attachment"}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details))
    return Response(
        content=body.model_dump_json(by_alias=True, exclude_none=True),
        status_code=status,
        media_type="application/json",
        headers=dict(headers or {}),
    )


def _field_name(loc: Iterable[Any]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "BAD_REQUEST", "The request body is not valid JSON.")
    details = [
        {"field": _field_name(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in errors
    ]
    return error_response(422, "VALIDATION_ERROR", "The request is invalid.", details)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _STATUS_CODES.get(status, "ERROR" if status < 500 else "INTERNAL_ERROR")
    message = _STATUS_MESSAGES.get(status) or (
        exc.detail if isinstance(exc.detail, str) and status < 500 else INTERNAL_ERROR_MESSAGE
    )
    return error_response(status, code, message, headers=exc.headers)


# SQLSTATEs of text PostgreSQL cannot store: a NUL character, or one outside the encoding.
_UNSTORABLE_TEXT = {"22P05", "22021"}
UNSTORABLE_TEXT_MESSAGE = "The request contains characters that cannot be stored (such as NUL)."


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, raw (asyncpg) or wrapped (SQLAlchemy)."""
    for candidate in (exc, getattr(exc, "orig", None), exc.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


async def _database_error(request: Request, exc: Exception) -> Response:
    """Text PostgreSQL refuses to store is the client's input, not our crash: a 422. Anything
    else goes on to the 500 handler, as before."""
    if _sqlstate(exc) in _UNSTORABLE_TEXT:
        return error_response(422, "VALIDATION_ERROR", UNSTORABLE_TEXT_MESSAGE)
    raise exc


async def reject_nul_characters(request: Request) -> None:
    """No query parameter may carry a NUL character (PostgreSQL cannot store or compare one):
    a field-level 422 before any work, instead of a driver error."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise ValidationFailed([(name, "must not contain NUL characters")])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(asyncpg.PostgresError, _database_error)
    app.add_exception_handler(DBAPIError, _database_error)


def security_headers(path: str, *, production: bool) -> dict[str, str]:
    if path == "/docs" or path.startswith("/docs/"):
        # Swagger UI loads its bundle from jsDelivr and runs an inline bootstrap script.
        script_src = "'self' 'unsafe-inline' https://cdn.jsdelivr.net"
        style_src = "'self' 'unsafe-inline' https://cdn.jsdelivr.net"
    else:
        script_src = "'self'"
        style_src = "'self'"
    csp = (
        f"default-src 'self'; script-src {script_src}; style-src {style_src}; "
        "img-src 'self' data: blob: https://fastapi.tiangolo.com; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), microphone=(self), geolocation=(self), payment=()",
    }
    if production:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


def route_template(scope: Scope) -> str:
    """The matched route's path template (never the raw path, which may carry ids or tokens)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


class EdgeMiddleware:
    """Outermost layer: request id, headers, crash-to-500, access log and metrics."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(Headers(scope=scope).get("x-request-id"))
        rid_token = request_id_var.set(request_id)
        uid_token = user_id_var.set(None)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in security_headers(
                    scope["path"], production=self.production
                ).items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("http.unhandled_error", path_template=route_template(scope))
            if response_started:
                raise
            response = error_response(500, "INTERNAL_ERROR", INTERNAL_ERROR_MESSAGE)
            await response(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            HTTP_LATENCY.labels(method=method, route=route).observe(elapsed)
            user_id = scope.get("state", {}).get("user_id") or user_id_var.get()
            log.info(
                "http.request",
                method=method,
                route=route,
                status=status,
                latency_ms=round(elapsed * 1000, 2),
                user_id=str(user_id) if user_id else None,
            )
            structlog.contextvars.clear_contextvars()
            request_id_var.reset(rid_token)
            user_id_var.reset(uid_token)


class _BodyTooLarge(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimitMiddleware:
    """Refuses bodies over the limit: 1 MiB for JSON, a larger configurable one for uploads.

    The declared Content-Length is checked first; a body sent without one (chunked) is counted as
    it streams in, so a client cannot get past the limit by lying or omitting the header.
    """

    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        is_upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.upload_limit if is_upload else self.json_limit
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await error_response(400, "BAD_REQUEST", "Invalid Content-Length header.")(
                    scope, receive, send
                )
                return
            if int(declared) > limit:
                await self._refuse(limit)(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        await self.app(scope, counting_receive, send)

    @staticmethod
    def _refuse(limit: int) -> Response:
        return error_response(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body is too large (limit {limit} bytes).",
            headers={"Connection": "close"},
        )
