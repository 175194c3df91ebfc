"""Typed FastAPI dependencies for authentication and authorization.

``CurrentPrincipal`` admits any signed-in user; ``Require("perm")`` admits those whose role grants
the permission and records a ``permission_denied`` event for the others.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from klearkarma.config import Settings
from klearkarma.core.context import user_id_var
from klearkarma.core.db import SessionDep
from klearkarma.core.errors import Forbidden, Unauthorized
from klearkarma.core.ratelimit import PrincipalResolver
from klearkarma.identity import events, sessions
from klearkarma.identity.keys import identity_keys
from klearkarma.identity.policy import Principal
from klearkarma.identity.tokens import InvalidToken
from klearkarma.platform import platform_of


def client_of(request: Request) -> events.Client:
    host = request.client.host if request.client else None
    return events.Client(ip=host, user_agent=request.headers.get("user-agent"))


async def _client(request: Request) -> events.Client:
    return client_of(request)


# Dependencies are coroutines: FastAPI runs a plain ``def`` dependency in a worker thread, and
# that hop costs more than the work in each of these.
ClientDep = Annotated[events.Client, Depends(_client)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def current_principal(request: Request, session: SessionDep) -> Principal:
    token = _bearer(request)
    if token is None:
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
    settings: Settings = platform_of(request).settings
    principal = await sessions.authenticate(session, identity_keys(settings), token)
    request.state.user_id = str(principal.user_id)
    user_id_var.set(str(principal.user_id))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


class Require:
    """Dependency admitting principals that hold ``permission``."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(
        self, principal: CurrentPrincipal, session: SessionDep, request: Request
    ) -> Principal:
        if not principal.can(self.permission):
            await events.record(
                session,
                "permission_denied",
                user_id=principal.user_id,
                client=client_of(request),
                details={"permission": self.permission, "path": request.url.path},
            )
            raise Forbidden(keep_changes=True)
        return principal


AdminPrincipal = Annotated[Principal, Depends(Require("admin:access"))]


def rate_limit_principal(settings: Settings) -> PrincipalResolver:
    """For the rate limiter: the user a valid bearer token names (no database round trip)."""
    signer = identity_keys(settings).signer

    async def resolve(scope: Scope) -> str | None:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer":
                    return None
                try:
                    return str(signer.verify(token.strip()).user_id)
                except InvalidToken:
                    return None
        return None

    return resolve


async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller when a token is sent (it must then be valid), None for anonymous callers."""
    if _bearer(request) is None:
        return None
    return await current_principal(request, session)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
