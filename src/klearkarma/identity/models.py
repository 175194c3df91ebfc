"""Tables of the identity context."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Text, false, func, text
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
    deleted_at: Mapped[datetime | None]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
