"""Privacy rights: consent records with history, data export, and account erasure.

Erasure removes or anonymises personal data in every context (each context erases its own through
its service), ends all sessions, and keeps financial records with the subject anonymised.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.db import as_dict
from klearkarma.core.storage import Storage
from klearkarma.identity import events, sessions
from klearkarma.identity.models import (
    ActionToken,
    AuthSession,
    Consent,
    ConsentKind,
    RecoveryCode,
    SecurityEvent,
    SocialAccount,
    User,
    UserStatus,
)
from klearkarma.identity.profile import delete_avatar_files

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox


async def consents(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[dict[str, bool], list[Consent]]:
    """The current decision per kind (default: not given) and the full history, newest first."""
    history = list(
        await session.scalars(
            select(Consent)
            .where(Consent.user_id == user_id)
            .order_by(Consent.created_at.desc(), Consent.id.desc())
        )
    )
    current = {kind.value: False for kind in ConsentKind}
    for record in reversed(history):
        current[record.kind.value] = record.granted
    return current, history


async def set_consents(
    session: AsyncSession, user_id: uuid.UUID, decisions: dict[ConsentKind, bool], ip: str | None
) -> None:
    """Append a record for each decision that changes the current state."""
    current, _ = await consents(session, user_id)
    now = datetime.now(UTC)
    for kind, granted in decisions.items():
        if current[kind.value] != granted:
            session.add(Consent(user_id=user_id, kind=kind, granted=granted, ip=ip, created_at=now))
    await session.flush()


async def identity_export(session: AsyncSession, user: User) -> dict[str, Any]:
    """Everything the identity context holds about ``user`` (secrets and hashes left out)."""
    hidden = {"password_hash", "mfa_secret_encrypted", "mfa_last_step"}

    async def rows(model: Any, *columns: str) -> list[dict[str, Any]]:
        result = await session.scalars(select(model).where(model.user_id == user.id))
        return [{k: v for k, v in as_dict(r).items() if k in columns} for r in result]

    return {
        "account": {k: v for k, v in as_dict(user).items() if k not in hidden},
        "sessions": await rows(
            AuthSession,
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "ip",
            "user_agent",
            "provider",
            "revoked_at",
            "revoked_reason",
        ),
        "linkedAccounts": await rows(SocialAccount, "provider", "email", "created_at"),
        "consents": await rows(Consent, "kind", "granted", "ip", "created_at"),
        "securityEvents": await rows(
            SecurityEvent, "event_type", "ip", "user_agent", "risk_score", "created_at"
        ),
    }


async def erase_identity(
    session: AsyncSession, storage: Storage, user: User, client: events.Client
) -> tuple[str, str | None]:
    """Anonymise the account row and drop identity data; return the old email and phone."""
    email, phone = user.email, user.phone
    await sessions.revoke_all(session, user.id, "account_erased")
    for model in (AuthSession, ActionToken, RecoveryCode, SocialAccount):
        await session.execute(delete(model).where(model.user_id == user.id))
    await session.execute(
        update(SecurityEvent)
        .where(SecurityEvent.user_id == user.id)
        .values(ip=None, user_agent=None, details={})
    )
    await session.execute(update(Consent).where(Consent.user_id == user.id).values(ip=None))
    if user.avatar_key:
        await delete_avatar_files(storage, user.avatar_key)
    user.email = f"erased-{user.id.hex}@{ERASED_DOMAIN}"
    user.first_name = "Erased"
    user.last_name = "User"
    user.phone = None
    user.date_of_birth = None
    user.gender = None
    user.password_hash = None
    user.mfa_enabled = False
    user.mfa_secret_encrypted = None
    user.mfa_last_step = None
    user.avatar_key = None
    user.email_verified = False
    user.phone_verified = False
    user.status = UserStatus.INACTIVE
    user.deleted_at = datetime.now(UTC)
    await session.flush()
    await events.record(
        session, "account_erased", user_id=user.id, client=events.Client(None, None)
    )
    return email, phone


async def export_everything(session: AsyncSession, user: User) -> dict[str, Any]:
    """The caller's data from every context, as one JSON document."""
    from klearkarma.bookings import service as bookings
    from klearkarma.practitioners import service as practitioners
    from klearkarma.reviews import service as reviews

    practitioner = await practitioners.export_for_user(session, user.id)
    practitioner_id = practitioner["profile"]["id"] if practitioner else None
    return {
        "exportedAt": datetime.now(UTC),
        "identity": await identity_export(session, user),
        "practitioner": practitioner,
        "bookings": await bookings.export_for_user(session, user.id, practitioner_id),
        "reviews": await reviews.export_for_user(session, user.id),
    }


async def erase_account(
    session: AsyncSession,
    storage: Storage,
    cache: CacheBackend,
    user: User,
    client: events.Client,
) -> None:
    """Erase a person everywhere; bookings and money stay, pointing at the anonymised account."""
    from klearkarma.bookings import service as bookings
    from klearkarma.notifications import service as notifications
    from klearkarma.practitioners import service as practitioners
    from klearkarma.reviews import service as reviews

    await practitioners.erase_for_user(session, cache, user.id)
    await bookings.erase_for_user(session, user.id)
    await reviews.erase_for_user(session, user.id)
    email, phone = await erase_identity(session, storage, user, client)
    await notifications.erase_recipient(session, email=email, phone=phone)
