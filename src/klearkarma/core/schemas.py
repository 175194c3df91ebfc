"""API shapes shared by every context: camelCase JSON, the envelope and pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel

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
