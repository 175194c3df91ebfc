"""Tables of the identity context."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base, Timestamps, UUIDPrimaryKey, str_enum


class UserType(enum.StrEnum):
    SEEKER = "seeker"
    PRACTITIONER = "practitioner"
    ADMIN = "admin"


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        # One account per address whatever its case.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        Index("ix_users_user_type", "user_type"),
    )

    email: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)  # None for social-only accounts
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(Text)
    user_type: Mapped[UserType] = mapped_column(str_enum(UserType, "user_type"))
    status: Mapped[UserStatus] = mapped_column(
        str_enum(UserStatus, "user_status"), default=UserStatus.ACTIVE
    )
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    timezone: Mapped[str] = mapped_column(Text, default="Asia/Kolkata")
    locale: Mapped[str] = mapped_column(Text, default="en-IN")
    avatar_key: Mapped[str | None] = mapped_column(Text)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # TOTP: the secret is stored encrypted (AES-256-GCM); the last accepted time step blocks replay.
    mfa_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    deleted_at: Mapped[datetime | None]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class AuthSession(UUIDPrimaryKey, Base):
    """A login: the family of refresh tokens rotated from it, revoked as one."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text, default="password")
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class RefreshToken(UUIDPrimaryKey, Base):
    """One opaque refresh token (only its keyed hash is stored); spent on first use."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session_id", "session_id"),)

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
    VERIFY_PHONE = "verify_phone"


class ActionToken(UUIDPrimaryKey, Base):
    """A single-use secret mailed or texted to the user (verification links, reset links, codes)."""

    __tablename__ = "action_tokens"
    __table_args__ = (Index("ix_action_tokens_user_id_purpose", "user_id", "purpose"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    target: Mapped[str | None] = mapped_column(Text)  # the address or number being verified
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecoveryCode(UUIDPrimaryKey, Base):
    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (Index("ix_mfa_recovery_codes_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(Text, unique=True)
    used_at: Mapped[datetime | None]


class ConsentKind(enum.StrEnum):
    MARKETING = "marketing"
    ANALYTICS = "analytics"
    HEALTH_DATA_SHARING = "health_data_sharing"


class Consent(UUIDPrimaryKey, Base):
    """One consent decision; the newest row per kind is the current state, the rest history."""

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_user_id_kind_created_at", "user_id", "kind", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(str_enum(ConsentKind, "consent_kind"))
    granted: Mapped[bool] = mapped_column(Boolean)
    ip: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SecurityEvent(UUIDPrimaryKey, Base):
    __tablename__ = "security_events"
    __table_args__ = (
        CheckConstraint("risk_score >= 0 AND risk_score <= 1", name="risk_score"),
        Index("ix_security_events_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_security_events_flagged_created_at",
            "created_at",
            postgresql_where=text("flagged"),
        ),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    event_type: Mapped[str] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    risk_score: Mapped[Decimal] = mapped_column(Numeric(3, 2), default=Decimal("0"))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SocialAccount(UUIDPrimaryKey, Base):
    """An external identity (provider + subject) that can sign this user in."""

    __tablename__ = "social_accounts"
    __table_args__ = (
        Index("uq_social_accounts_provider_subject", "provider", "subject", unique=True),
        Index("ix_social_accounts_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
