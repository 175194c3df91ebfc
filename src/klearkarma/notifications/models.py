"""Tables of the notifications context."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base, UUIDPrimaryKey


class DevMail(UUIDPrimaryKey, Base):
    """A message the dev mailbox caught instead of sending (development and tests only)."""

    __tablename__ = "dev_mailbox"
    __table_args__ = (Index("ix_dev_mailbox_created_at", "created_at"),)

    sender: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(ARRAY(Text))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    def __repr__(self) -> str:
        return f"DevMail(id={self.id!s}, subject={self.subject!r})"


class DevSms(UUIDPrimaryKey, Base):
    """A text message the dev outbox caught instead of sending (development and tests only)."""

    __tablename__ = "dev_sms_outbox"
    __table_args__ = (Index("ix_dev_sms_outbox_created_at", "created_at"),)

    recipient: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


__all__ = ["DevMail", "DevSms", "uuid"]
