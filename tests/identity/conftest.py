"""Fixtures for identity tests: a real OpenID Connect issuer on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.identity.oidc_issuer import LocalIssuer


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[LocalIssuer]:
    """A running `LocalIssuer` shared by the session (see its docstring for what it offers)."""
    issuer = LocalIssuer()
    issuer.start()
    try:
        yield issuer
    finally:
        issuer.stop()
