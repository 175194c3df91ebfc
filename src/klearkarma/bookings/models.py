"""Tables of the bookings context."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base, Timestamps, UUIDPrimaryKey, str_enum
from klearkarma.practitioners.models import ServiceMode


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Booking(UUIDPrimaryKey, Timestamps, Base):
    """One session between a seeker and a practitioner.

    The database itself refuses two live (pending or confirmed) bookings of one practitioner whose
    periods overlap: migration 0005 adds the exclusion constraint ``ex_bookings_no_overlap`` over
    ``uuid_range(practitioner_id) WITH =`` and ``tstzrange(scheduled_at, ends_at) WITH &&``. (A
    one-point range of a custom ``uuid_range`` type stands in for btree_gist's uuid equality, which
    the embedded PostgreSQL lacks.)
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > scheduled_at", name="period"),
        CheckConstraint("total_amount >= 0 AND commission_amount >= 0", name="amounts"),
        Index("ix_bookings_practitioner_id_scheduled_at", "practitioner_id", "scheduled_at"),
        Index("ix_bookings_seeker_id_scheduled_at", "seeker_id", "scheduled_at"),
        Index(
            "ix_bookings_pending_holds",
            "hold_expires_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    seeker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus, "booking_status"), default=BookingStatus.PENDING
    )
    mode: Mapped[ServiceMode] = mapped_column(str_enum(ServiceMode, "booking_mode"))
    scheduled_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    commission_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text, default="INR")
    notes: Mapped[str | None] = mapped_column(Text)
    session_notes: Mapped[str | None] = mapped_column(Text)
    hold_expires_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[uuid.UUID | None]
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by_role: Mapped[str | None] = mapped_column(Text)
    commission_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), server_default="0.15")
    refund_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    started_at: Mapped[datetime | None]
    no_show_at: Mapped[datetime | None]
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReminderKind(enum.StrEnum):
    DAY_BEFORE = "24h"
    HOUR_BEFORE = "1h"


class BookingReminder(Base):
    """A reminder job queued for a booking, kept so a reschedule or cancel can withdraw it."""

    __tablename__ = "booking_reminders"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[ReminderKind] = mapped_column(
        str_enum(ReminderKind, "reminder_kind"), primary_key=True
    )
    job_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime]


class CalendarFeed(Base):
    """The version of a user's private iCalendar feed URL; bumping it revokes the old URL."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
