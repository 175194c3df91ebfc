"""Tables of the bookings context."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, Text
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
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > scheduled_at", name="period"),
        CheckConstraint("total_amount >= 0 AND commission_amount >= 0", name="amounts"),
        Index("ix_bookings_practitioner_id_scheduled_at", "practitioner_id", "scheduled_at"),
        Index("ix_bookings_seeker_id_scheduled_at", "seeker_id", "scheduled_at"),
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
