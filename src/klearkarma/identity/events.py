"""The security event log, with a rule-based risk score.

Rules, added up and capped at 1: the event type's own weight; a login from an address (+0.3) or a
device (user agent, +0.2) this account has not signed in from before; a burst of failed logins in
the last hour (3 or more: +0.3, 5 or more: +0.6). Events scoring above 0.8 are flagged for admins:
a reused refresh token, a lockout, the fifth failure in a row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.identity.models import SecurityEvent

FLAG_THRESHOLD = Decimal("0.8")

BASE_RISK: dict[str, float] = {
    "login": 0.0,
    "login_social": 0.0,
    "failed_login": 0.25,
    "mfa_failed": 0.3,
    "logout": 0.0,
    "password_change": 0.1,
    "password_reset": 0.2,
    "password_reset_requested": 0.0,
    "mfa_enabled": 0.0,
    "mfa_disabled": 0.4,
    "permission_denied": 0.4,
    "token_reuse": 0.9,
    "account_locked": 0.6,
    "account_suspended": 0.5,
    "account_erased": 0.1,
    "email_verified": 0.0,
    "phone_verified": 0.0,
}


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from, as far as we can tell."""

    ip: str | None
    user_agent: str | None


async def _seen_before(
    session: AsyncSession, user_id: uuid.UUID, column: Any, value: str | None
) -> bool:
    if value is None:
        return True
    found = await session.scalar(
        select(SecurityEvent.id)
        .where(
            SecurityEvent.user_id == user_id,
            SecurityEvent.event_type.in_(("login", "login_social")),
            column == value,
        )
        .limit(1)
    )
    return found is not None


async def _recent_failures(session: AsyncSession, user_id: uuid.UUID) -> int:
    since = datetime.now(UTC) - timedelta(hours=1)
    count = await session.scalar(
        select(func.count())
        .select_from(SecurityEvent)
        .where(
            SecurityEvent.user_id == user_id,
            SecurityEvent.event_type.in_(("failed_login", "mfa_failed")),
            SecurityEvent.created_at >= since,
        )
    )
    return int(count or 0)


async def risk_score(
    session: AsyncSession, event_type: str, user_id: uuid.UUID | None, client: Client
) -> Decimal:
    score = BASE_RISK.get(event_type, 0.1)
    if user_id is not None:
        if event_type in ("login", "login_social"):
            has_history = await _seen_before(session, user_id, SecurityEvent.user_id, str(user_id))
            if has_history and not await _seen_before(
                session, user_id, SecurityEvent.ip, client.ip
            ):
                score += 0.3
            if has_history and not await _seen_before(
                session, user_id, SecurityEvent.user_agent, client.user_agent
            ):
                score += 0.2
        failures = await _recent_failures(session, user_id)
        if failures >= 5:
            score += 0.6
        elif failures >= 3:
            score += 0.3
    return Decimal(str(round(min(score, 1.0), 2)))


async def record(
    session: AsyncSession,
    event_type: str,
    *,
    user_id: uuid.UUID | None,
    client: Client,
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    score = await risk_score(session, event_type, user_id, client)
    event = SecurityEvent(
        user_id=user_id,
        event_type=event_type,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
        risk_score=score,
        flagged=score > FLAG_THRESHOLD,
        details=details or {},
        created_at=datetime.now(UTC),
    )
    session.add(event)
    await session.flush()
    return event
