"""Request and response bodies of the bookings API."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, Field, model_validator

from klearkarma.bookings.models import BookingStatus
from klearkarma.core.schemas import ApiInput, ApiModel
from klearkarma.practitioners.models import ServiceMode


class BookingIn(ApiInput):
    practitioner_id: uuid.UUID
    service_id: uuid.UUID
    scheduled_at: AwareDatetime
    notes: str | None = Field(None, max_length=2000)


class BookingUpdate(ApiInput):
    """Reschedule (``scheduledAt``), change the seeker's notes, or both."""

    scheduled_at: AwareDatetime | None = None
    notes: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> BookingUpdate:
        if self.scheduled_at is None and self.notes is None:
            raise ValueError("Give 'scheduledAt' to reschedule or 'notes' to change the notes.")
        return self


class CancelIn(ApiInput):
    reason: str = Field("", max_length=500)


class CompleteIn(ApiInput):
    notes: str | None = Field(None, max_length=10_000)


class BookingWhen(enum.StrEnum):
    UPCOMING = "upcoming"
    PAST = "past"


class BookingOut(ApiModel):
    id: uuid.UUID
    status: BookingStatus
    seeker_id: uuid.UUID
    practitioner_id: uuid.UUID
    practitioner_name: str
    service_id: uuid.UUID
    service_name: str
    mode: ServiceMode
    scheduled_at: datetime
    ends_at: datetime
    duration_minutes: int
    total_amount: Decimal
    commission_amount: Decimal
    currency: str
    hold_expires_at: datetime | None
    notes: str | None
    # The practitioner's private notes: shown to the practitioner and admins only.
    session_notes: str | None = None
    confirmed_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    cancelled_by: str | None
    refund_amount: Decimal | None
    created_at: datetime


class CalendarFeedOut(ApiModel):
    url: str
