"""Structured JSON logs (structlog) for the app and every library that logs through stdlib.

Each line carries the request id and user id bound for the request. Values under keys that look
like secrets are replaced before rendering, so a careless ``log.info(..., password=...)`` is safe.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SENSITIVE_KEY = re.compile(
    r"pass(word)?|secret|token|authorization|cookie|otp|api[_-]?key|card|cvc|signature",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace values whose key names a secret, at any depth of dicts."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: REDACTED if _SENSITIVE_KEY.search(str(k)) else scrub(v) for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [scrub(item) for item in value]
        return value

    for key in list(event):
        if key != "event" and _SENSITIVE_KEY.search(key):
            event[key] = REDACTED
        else:
            event[key] = scrub(event[key])
    return event


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            # First: an event below the level is dropped before the others spend time on it
            # (the access log's line per request, when the level is WARNING).
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our middleware writes the access log; uvicorn's would repeat it, with raw query strings.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("pgserver").setLevel(max(root.level, logging.WARNING))  # chatty at INFO
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
