"""The HTTP edge: every answer in the envelope, errors mapped per the contract."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field, SecretStr

from klearkarma.app import create_app
from klearkarma.platform import Platform

probe = APIRouter(prefix="/v1/_probe")


class ProbeBody(BaseModel):
    email: EmailStr
    age: int = Field(ge=18)


@probe.post("/echo")
async def echo(body: ProbeBody) -> dict[str, object]:
    return {"success": True, "data": body.model_dump()}


@probe.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@probe.get("/large")
async def large() -> dict[str, object]:
    return {"success": True, "data": "kk " * 5000}


@pytest.fixture
async def edge(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(platform=platform)
    app.include_router(probe)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["meta"]["requestId"] == response.headers["x-request-id"]
    assert "data" not in body
    return body  # type: ignore[no-any-return]


async def test_health_answers_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"] == {"status": "ok", "version": "0.1.0", "environment": "test"}
    assert set(body["meta"]) == {"timestamp", "requestId"}
    assert body["meta"]["timestamp"].endswith("Z")


async def test_readiness_reports_each_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health/ready")

    assert response.status_code == 200
    checks = response.json()["data"]["checks"]
    assert set(checks) == {"database", "cache", "queue"}
    assert all(check["ok"] for check in checks.values())
    assert checks["queue"]["backlog"] == 0


async def test_unknown_route_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_error(await client.post("/nowhere", json={}), 404, "NOT_FOUND")


async def test_wrong_method_is_a_405_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/health")

    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET"


async def test_malformed_json_is_400(edge: httpx.AsyncClient) -> None:
    response = await edge.post(
        "/v1/_probe/echo",
        content=b'{"email": "a@b.com", ',
        headers={"content-type": "application/json"},
    )

    body = assert_error(response, 400, "BAD_REQUEST")
    assert body["error"]["message"] == "The request body is not valid JSON."  # type: ignore[index]


async def test_validation_errors_are_422_with_field_details(edge: httpx.AsyncClient) -> None:
    response = await edge.post("/v1/_probe/echo", json={"email": "not-an-email", "age": 12})

    body = assert_error(response, 422, "VALIDATION_ERROR")
    details = body["error"]["details"]  # type: ignore[index]
    assert sorted(d["field"] for d in details) == ["age", "email"]
    assert all(isinstance(d["message"], str) and d["message"] for d in details)


async def test_query_validation_names_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/practitioners", params={"limit": 101, "page": 0})

    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert sorted(d["field"] for d in body["error"]["details"]) == ["limit", "page"]  # type: ignore[index]


async def test_a_nul_character_in_a_query_parameter_is_a_field_error(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/v1/practitioners", "/v1/search/practitioners"):
        response = await client.get(path, params={"q": "yoga", "city": "Pune\x00"})

        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"] == [
            {"field": "city", "message": "must not contain NUL characters"}
        ]


async def test_a_nul_character_in_a_body_is_a_422_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    email = f"nul-{uuid.uuid4().hex[:8]}@example.com"
    body = {
        "email": email,
        "password": "a-long-enough-password-1",
        "firstName": "Asha\x00",
        "lastName": "Verma",
        "userType": "seeker",
    }

    refused = await client.post("/v1/auth/register", json=body)
    accepted = await client.post("/v1/auth/register", json=body | {"firstName": "Asha"})

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "NUL" in refused.json()["error"]["message"]
    assert accepted.status_code == 201, accepted.text  # the refused attempt left no account


async def test_valid_body_passes(edge: httpx.AsyncClient) -> None:
    response = await edge.post("/v1/_probe/echo", json={"email": "a@b.com", "age": 30})

    assert response.status_code == 200
    assert response.json()["data"] == {"email": "a@b.com", "age": 30}


async def test_declared_oversized_json_body_is_413(edge: httpx.AsyncClient) -> None:
    payload = json.dumps({"email": "a@b.com", "age": 30, "pad": "x" * (1024 * 1024)})

    response = await edge.post(
        "/v1/_probe/echo", content=payload, headers={"content-type": "application/json"}
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_streamed_oversized_body_without_length_is_413(edge: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@b.com", "pad": "'
        for _ in range(40):
            yield b"x" * 32768
        yield b'"}'

    response = await edge.post(
        "/v1/_probe/echo", content=chunks(), headers={"content-type": "application/json"}
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_upload_limit_is_separate_and_larger(platform: Platform) -> None:
    # A 2 MiB multipart body is over the JSON limit but within the 10 MiB upload limit, so it
    # reaches the route (401 here: no token) instead of being refused as too large.
    app = create_app(platform=platform)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        files = {"file": ("a.bin", b"\0" * (2 * 1024 * 1024), "application/octet-stream")}
        response = await http.post("/v1/users/upload-avatar", files=files)
        assert response.status_code == 401
        huge = {"file": ("a.bin", b"\0" * (11 * 1024 * 1024), "application/octet-stream")}
        assert_error(
            await http.post("/v1/users/upload-avatar", files=huge), 413, "PAYLOAD_TOO_LARGE"
        )


async def test_unhandled_error_is_500_with_only_the_request_id(edge: httpx.AsyncClient) -> None:
    response = await edge.get("/v1/_probe/boom", headers={"X-Request-ID": "trace-123"})

    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert body["meta"]["requestId"] == "trace-123"  # type: ignore[index]
    assert "details" not in body["error"]  # type: ignore[operator]
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/v1/health", headers={"X-Request-ID": "abc-123"})
    generated = await client.get("/v1/health")
    forged = await client.get("/v1/health", headers={"X-Request-ID": "bad id\nwith newline"})

    assert echoed.headers["x-request-id"] == "abc-123"
    assert echoed.json()["meta"]["requestId"] == "abc-123"
    assert uuid.UUID(generated.headers["x-request-id"])
    assert forged.headers["x-request-id"] != "bad id\nwith newline"
    assert uuid.UUID(forged.headers["x-request-id"])


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/v1/health"), await client.get("/missing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # not in test mode


async def test_hsts_only_in_production(platform: Platform) -> None:
    production = platform.settings.model_copy(
        update={"env": "production", "secret_key": SecretStr("x" * 40)}
    )
    app = create_app(production, platform=platform)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/v1/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_large_responses_are_gzipped(edge: httpx.AsyncClient) -> None:
    response = await edge.get("/v1/_probe/large", headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["data"].startswith("kk kk")  # httpx decoded it
    raw = await edge.get("/v1/_probe/large", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content)


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = await client.get("/openapi.json")
    docs = await client.get("/docs")

    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/v1/practitioners" in paths
    error_schema = paths["/v1/practitioners"]["get"]["responses"]["422"]
    assert "ErrorEnvelope" in json.dumps(error_schema)
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_metrics_count_requests_per_route(client: httpx.AsyncClient) -> None:
    await client.get("/v1/health")
    await client.get("/v1/health")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    health = [
        line
        for line in lines
        if line.startswith("klearkarma_http_requests_total{")
        and 'route="/v1/health"' in line
        and 'status="200"' in line
    ]
    assert len(health) == 1
    assert float(health[0].rsplit(" ", 1)[1]) >= 2
    assert any(
        line.startswith("klearkarma_http_request_duration_seconds_bucket{") for line in lines
    )
    assert any(line.startswith('klearkarma_job_queue{status="todo"}') for line in lines)


async def test_metrics_token_when_configured(platform: Platform) -> None:
    guarded = platform.settings.model_copy(update={"metrics_token": SecretStr("s3cret-token")})
    platform.settings = guarded
    app = create_app(platform=platform)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        denied = await http.get("/metrics")
        allowed = await http.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})

    assert_error(denied, 401, "UNAUTHORIZED")
    assert allowed.status_code == 200


async def test_root_points_newcomers_to_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    links = response.json()["data"]["links"]
    assert links["docs"] == "/docs"
    assert links["practitioners"] == "/v1/practitioners"
