"""API shapes shared by every context: camelCase JSON, the envelope and pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from klearkarma.core.context import current_request_id

T = TypeVar("T")


class ApiModel(BaseModel):
    """Base for request and response bodies: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, extra="forbid"
    )


class Pagination(ApiModel):
    page: int
    limit: int
    total: int
    total_pages: int


class Meta(ApiModel):
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    request_id: str | None = Field(default_factory=current_request_id)
    pagination: Pagination | None = None

    @model_serializer(mode="wrap")
    def _omit_absent_pagination(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("pagination", 0) is None:
            del data["pagination"]
        return data


class ErrorBody(ApiModel):
    code: str
    message: str
    details: Any = None


class Envelope(ApiModel, Generic[T]):
    """Every response body: ``success``, then ``data`` or ``error``, then ``meta``."""

    success: bool = True
    data: T
    meta: Meta = Field(default_factory=Meta)


class ErrorEnvelope(ApiModel):
    success: bool = False
    error: ErrorBody
    meta: Meta = Field(default_factory=Meta)


def ok(data: T, pagination: Pagination | None = None) -> Envelope[T]:
    """Wrap a result in the success envelope."""
    return Envelope[T](data=data, meta=Meta(pagination=pagination))


# Documented on every router so OpenAPI shows the error envelope instead of FastAPI's default.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "Malformed request (BAD_REQUEST)",
        404: "Not found, or not visible to the caller (NOT_FOUND)",
        413: "Body too large (PAYLOAD_TOO_LARGE)",
        422: "Invalid input, with field details (VALIDATION_ERROR)",
        429: "Rate limited (RATE_LIMITED), see Retry-After",
        500: "Unexpected error; carries only the request id (INTERNAL_ERROR)",
    }.items()
}


class ApiInput(ApiModel):
    """Base for request bodies: unknown fields are ignored rather than refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", str_strip_whitespace=True
    )


def ok_json(data_json: bytes) -> Response:
    """The success envelope around ``data`` that is already JSON (a cached answer).

    Splicing bytes skips parsing and re-validating a cached document on every hit.
    """
    meta = Meta().model_dump_json(by_alias=True)
    body = b'{"success":true,"data":' + data_json + b',"meta":' + meta.encode() + b"}"
    return Response(content=body, media_type="application/json")


def ok_response(data: Any, status_code: int = 200) -> Response:
    """The success envelope as a finished response, for answers that are stored and replayed
    (``Idempotency-Key``)."""
    body = ok(data).model_dump_json(by_alias=True)
    return Response(content=body, status_code=status_code, media_type="application/json")
