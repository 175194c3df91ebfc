"""A real HTTP server on 127.0.0.1 that plays back recorded processor responses.

The SDKs under test talk to it over real sockets exactly as they would to api.stripe.com or
api.razorpay.com; it answers with the JSON bodies under ``recorded/`` (shaped like the providers'
API reference) and keeps every request it received, so tests assert on what the SDK really sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> Any:
    """A recorded body, e.g. ``recorded("stripe/payment_intent_created")``."""
    return json.loads((RECORDED / f"{name}.json").read_text())


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """A form-encoded body (Stripe's), one value per key."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordedApi:
    """Routes ``(method, path)`` to recorded answers, served in order (the last one repeats)."""

    url: str = ""
    routes: dict[tuple[str, str], list[tuple[int, bytes]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, method: str, path: str, body: str | Any, status: int = 200) -> None:
        """Answer ``method path`` with a recorded file (by name) or a literal JSON value."""
        value = recorded(body) if isinstance(body, str) else body
        self.routes.setdefault((method, path), []).append((status, json.dumps(value).encode()))

    def answer(self, method: str, path: str) -> tuple[int, bytes]:
        with self.lock:
            queue = self.routes.get((method, path))
            if not queue:
                self.unmatched.append(f"{method} {path}")
                return 599, b'{"error": {"message": "no recorded response"}}'
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def requests_to(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path == path]


def _handler(api: RecordedApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            with api.lock:
                api.received.append(
                    Received(
                        method=self.command,
                        path=parts.path,
                        query=parse_qs(parts.query, keep_blank_values=True),
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
            status, payload = api.answer(self.command, parts.path)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.send_header("request-id", "req_recorded")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serving() -> Iterator[RecordedApi]:
    """A recorded API listening on a free loopback port for the duration of the block."""
    api = RecordedApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
