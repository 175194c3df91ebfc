"""What page routes pass to the services, built from the request the same way the API does."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings.lifecycle import Terms
from klearkarma.identity import accounts
from klearkarma.identity import service as identity
from klearkarma.identity.deps import client_of
from klearkarma.identity.keys import identity_keys
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of
from klearkarma.web.slots import zone_or


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


async def account_zone(session: AsyncSession, user: Principal, asked: str | None = None) -> str:
    """The zone a signed-in person reads times in: ``asked`` if valid, else the account's."""
    account = await identity.get_user(session, user.user_id)
    fallback = zone_or(account.timezone if account is not None else None, "Asia/Kolkata")
    return zone_or(asked, fallback)
