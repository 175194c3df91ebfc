"""Gateway tests run against a recorded API on loopback; nothing may reach the internet."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.payments.gateways.recorded_api import RecordedApi, serving

LOCAL = frozenset({"127.0.0.1", "::1", "localhost", b"127.0.0.1", b"localhost"})


@pytest.fixture
def recorded_api() -> Iterator[RecordedApi]:
    with serving() as api:
        yield api
    assert not api.unmatched, f"requests with no recorded response: {api.unmatched}"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection, and every name lookup, that is not for this machine."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOCAL:
            raise ConnectionRefusedError(f"tests may not reach {host}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOCAL:
            raise socket.gaierror(f"tests may not resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
