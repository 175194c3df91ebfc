"""A route's query string validated as one pydantic model, for the busiest public reads.

FastAPI extracts and validates each declared query parameter on its own and inspects its type
again on every request: for a search's seventeen parameters that was about an eighth of the
request's CPU in the server process (docs/search.md). A model validates them all in one call.
``query_model`` turns a model into a dependency that answers bad input with the same field-level
422 as FastAPI's own parameters (``loc`` ``("query", alias)``), and ``documented`` lists the
model's fields as the operation's parameters in the OpenAPI document, which FastAPI cannot see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

Model = TypeVar("Model", bound="QueryModel")


class QueryModel(BaseModel):
    """Base of query-string models: fields are read by their alias (the name in the URL);
    parameters the model does not name are ignored, as for FastAPI's own parameters."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def query_model(model: type[Model]) -> Callable[[Request], Awaitable[Model]]:
    """A dependency giving ``model`` validated from the request's query string (a repeated
    parameter counts once, its last value: what FastAPI does for a single-valued one)."""

    async def parse(request: Request) -> Model:  # async: FastAPI runs a plain def in a thread
        try:
            return model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
            ) from None

    return parse


def documented(model: type[QueryModel]) -> dict[str, Any]:
    """``openapi_extra`` for an operation reading ``model``: one query parameter per field,
    with its JSON schema (enums inlined, as the parameter has no ``$defs`` of its own)."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = _inlined(field, definitions)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in field:
            parameter["description"] = field["description"]
        parameter["schema"] = field
        parameters.append(parameter)
    return {"parameters": parameters}


def _inlined(value: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        reference = value.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            named = definitions[reference.removeprefix("#/$defs/")]
            beside = {key: item for key, item in value.items() if key != "$ref"}  # the default
            return _inlined(named | beside, definitions)
        return {key: _inlined(item, definitions) for key, item in value.items()}
    if isinstance(value, list):
        return [_inlined(item, definitions) for item in value]
    return value
