"""Query strings read as one model: the same values, errors and documentation as FastAPI's own
parameters."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import Field

from klearkarma.app import create_app
from klearkarma.core.query_model import QueryModel, documented, query_model
from klearkarma.platform import Platform


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class ProbeQuery(QueryModel):
    min_rate: Decimal | None = Field(None, alias="minRate", ge=0, max_digits=12)
    online: bool | None = None
    day: date | None = None
    limit: int = Field(20, ge=1, le=100, description="items per page")
    colour: Colour = Colour.RED


probe = APIRouter(prefix="/v1/_probe")


@probe.get("/model", openapi_extra=documented(ProbeQuery))
async def by_model(
    query: Annotated[ProbeQuery, Depends(query_model(ProbeQuery))],
) -> dict[str, Any]:
    return {"success": True, "data": query.model_dump(mode="json", by_alias=True)}


@probe.get("/fields")
async def by_fields(
    min_rate: Annotated[Decimal | None, Query(alias="minRate", ge=0, max_digits=12)] = None,
    online: bool | None = None,
    day: date | None = None,
    limit: Annotated[int, Query(ge=1, le=100, description="items per page")] = 20,
    colour: Colour = Colour.RED,
) -> dict[str, Any]:
    return {"success": True, "data": {"minRate": min_rate, "online": online}}


@pytest.fixture
async def app(platform: Platform) -> FastAPI:
    app = create_app(platform=platform)
    app.include_router(probe)
    return app


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_values_are_converted_and_defaults_applied(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/v1/_probe/model",
        params={"minRate": "12.50", "online": "yes", "day": "2026-11-25", "colour": "blue"},
    )

    assert response.status_code == 200
    assert response.json()["data"] == {
        "minRate": "12.50",
        "online": True,
        "day": "2026-11-25",
        "limit": 20,
        "colour": "blue",
    }


async def test_unknown_parameters_are_ignored_and_a_repeated_one_takes_its_last_value(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/v1/_probe/model?limit=5&limit=7&cache_buster=1")

    assert response.status_code == 200
    assert response.json()["data"]["limit"] == 7


@pytest.mark.parametrize(
    "query",
    [
        "minRate=-1",
        "minRate=abc",
        "minRate=1234567890123",
        "online=perhaps",
        "day=2026-13-01",
        "limit=0",
        "limit=101",
        "colour=green",
        "minRate=-1&limit=0",
        "limit=",
    ],
)
async def test_bad_values_are_the_same_422_as_declared_parameters(
    http: httpx.AsyncClient, query: str
) -> None:
    by_model = await http.get(f"/v1/_probe/model?{query}")
    by_fields = await http.get(f"/v1/_probe/fields?{query}")

    assert by_model.status_code == 422
    assert by_model.json()["error"]["code"] == "VALIDATION_ERROR"
    assert by_model.json()["error"]["details"] == by_fields.json()["error"]["details"]
    named = {detail["field"] for detail in by_model.json()["error"]["details"]}
    assert named <= {"minRate", "online", "day", "limit", "colour"}
    assert named


async def test_the_openapi_document_lists_the_model_as_declared_parameters_would(
    app: FastAPI,
) -> None:
    operations = app.openapi()["paths"]

    def parameters(path: str) -> dict[str, dict[str, Any]]:
        listed = operations[path]["get"]["parameters"]
        return {p["name"]: p for p in listed}

    by_model, by_fields = parameters("/v1/_probe/model"), parameters("/v1/_probe/fields")
    assert set(by_model) == {"minRate", "online", "day", "limit", "colour"}
    for name in ("minRate", "online", "day", "limit"):
        assert by_model[name] == by_fields[name], name
    assert by_model["limit"]["description"] == "items per page"
    # an enum is written out in place (FastAPI's own parameter refers to a component instead)
    assert by_model["colour"]["schema"]["enum"] == ["red", "blue"]
    assert by_model["colour"]["schema"]["default"] == "red"
