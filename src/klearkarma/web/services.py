"""What page routes pass to the services, built from the request the same way the API does."""

from __future__ import annotations

from fastapi import Request

from klearkarma.bookings.lifecycle import Terms
from klearkarma.identity import accounts
from klearkarma.identity.deps import client_of
from klearkarma.identity.keys import identity_keys
from klearkarma.platform import platform_of


def account_context(request: Request) -> accounts.Context:
    """The identity use cases' context: settings, keys, cache and the caller's address."""
    platform = platform_of(request)
    return accounts.Context(
        settings=platform.settings,
        keys=identity_keys(platform.settings),
        cache=platform.cache,
        client=client_of(request),
    )


def booking_terms(request: Request) -> Terms:
    return Terms.from_settings(platform_of(request).settings)
