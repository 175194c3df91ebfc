"""Structured JSON logs: one JSON object per line, secrets replaced before rendering."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
import structlog

from klearkarma.core.logging import REDACTED, configure_logging, redact


@contextmanager
def logging_configured(level: str = "INFO", fmt: str = "json") -> Iterator[None]:
    """``configure_logging`` for one test, then the previous logging setup back.

    Must run while ``capsys`` is active: the handler binds ``sys.stderr`` when it is built.
    """
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access")
    access_disabled = access.disabled
    structlog_config = structlog.get_config()
    configure_logging(level, fmt)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        access.disabled = access_disabled
        structlog.configure(**structlog_config)


def json_lines(err: str) -> list[dict[str, Any]]:
    lines = [line for line in err.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def only_event(err: str, event: str) -> dict[str, Any]:
    [entry] = [entry for entry in json_lines(err) if entry.get("event") == event]
    return entry


def test_secrets_are_redacted_and_the_rest_kept(capsys: pytest.CaptureFixture[str]) -> None:
    # given
    with logging_configured("INFO", "json"):
        # when
        structlog.get_logger("t").info(
            "user.login",
            password="hunter2",
            token="abc",
            nested={"apiKey": "k", "ok": 1, "deeper": {"refresh_token": "r", "n": [1, 2]}},
            items=[{"secret": "s", "id": 7}],
            email="a@b.c",
            Authorization="Bearer xyz",
        )
        err = capsys.readouterr().err

    # then
    entry = only_event(err, "user.login")
    assert entry["password"] == REDACTED
    assert entry["token"] == REDACTED
    assert entry["Authorization"] == REDACTED
    assert entry["nested"] == {
        "apiKey": REDACTED,
        "ok": 1,
        "deeper": {"refresh_token": REDACTED, "n": [1, 2]},
    }
    assert entry["items"] == [{"secret": REDACTED, "id": 7}]
    assert entry["email"] == "a@b.c"
    assert entry["level"] == "info"
    assert entry["logger"] == "t"
    assert datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")).tzinfo is not None
    for secret in ("hunter2", "abc", '"k"', '"r"', '"s"', "xyz"):
        assert secret not in err


def test_stdlib_logging_comes_out_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    with logging_configured("INFO", "json"):
        logging.getLogger("x").warning("hello %s", "w")
        err = capsys.readouterr().err

    entry = only_event(err, "hello w")
    assert entry["level"] == "warning"
    assert entry["logger"] == "x"
    assert "timestamp" in entry


def test_records_below_the_level_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    with logging_configured("warning", "json"):
        structlog.get_logger("t").info("quiet.info")
        logging.getLogger("x").info("quiet stdlib")
        structlog.get_logger("t").error("loud.error")
        err = capsys.readouterr().err

    assert [entry["event"] for entry in json_lines(err)] == ["loud.error"]


def test_events_below_the_level_skip_the_processors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The access log writes an INFO line per request: at WARNING it must cost almost nothing.
    seen: list[str] = []

    def counting_redact(logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event["event"])
        return redact(logger, method, event)

    monkeypatch.setattr("klearkarma.core.logging.redact", counting_redact)
    with logging_configured("warning", "json"):
        structlog.get_logger("t").info("quiet.info", password="hunter2")
        structlog.get_logger("t").warning("loud.warning")
        capsys.readouterr()

    assert seen == ["loud.warning"]


def test_request_context_is_merged_into_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    with logging_configured("INFO", "json"):
        structlog.contextvars.bind_contextvars(request_id="req-1", user_id="u-1")
        try:
            structlog.get_logger("t").info("booking.created")
        finally:
            structlog.contextvars.clear_contextvars()
        err = capsys.readouterr().err

    entry = only_event(err, "booking.created")
    assert (entry["request_id"], entry["user_id"]) == ("req-1", "u-1")


def test_exceptions_are_rendered_into_the_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    with logging_configured("INFO", "json"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            structlog.get_logger("t").exception("job.crashed")
        err = capsys.readouterr().err

    entry = only_event(err, "job.crashed")
    assert entry["level"] == "error"
    assert "RuntimeError: boom" in entry["exception"]


def test_the_event_text_itself_is_never_replaced() -> None:
    event = {"event": "password reset requested", "otp_code": "123456", "user": "u1"}

    assert redact(None, "info", event) == {
        "event": "password reset requested",
        "otp_code": REDACTED,
        "user": "u1",
    }


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "passwd",
        "client_secret",
        "accessToken",
        "authorization",
        "Cookie",
        "otp",
        "api_key",
        "api-key",
        "APIKEY",
        "card_number",
        "cvc",
        "signature",
    ],
)
def test_sensitive_key_names(key: str) -> None:
    assert redact(None, "info", {"event": "e", key: "v"})[key] == REDACTED


@pytest.mark.parametrize("key", ["email", "user_id", "amount", "status", "request_id"])
def test_ordinary_key_names_are_kept(key: str) -> None:
    assert redact(None, "info", {"event": "e", key: "v"})[key] == "v"
