"""API shapes of the practitioners context."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from klearkarma.core.schemas import ApiInput, ApiModel
from klearkarma.practitioners.models import ServiceMode, VerificationStatus


class PractitionerSort(enum.StrEnum):
    RATING = "rating"
    PRICE = "price"
    DISTANCE = "distance"
    EXPERIENCE = "experience"


class Location(ApiModel):
    lat: float
    lng: float
    city: str | None = None
    country: str | None = None


class Certification(ApiModel):
    name: str
    issuer: str | None = None
    year: int | None = None


class ServiceOut(ApiModel):
    id: uuid.UUID
    practitioner_id: uuid.UUID
    name: str
    description: str
    category: str
    duration_minutes: int
    price: Decimal
    currency: str
    mode: ServiceMode


class CatalogServiceOut(ServiceOut):
    practitioner_name: str
    city: str | None


class PractitionerSummary(ApiModel):
    id: uuid.UUID
    display_name: str
    headline: str
    specializations: list[str]
    languages: list[str]
    experience_years: int
    hourly_rate: Decimal
    currency: str
    rating: float
    review_count: int
    total_sessions: int
    city: str | None
    country: str | None
    offers_online: bool
    offers_in_person: bool
    verification_status: VerificationStatus
    distance_km: float | None = None


class PractitionerOut(PractitionerSummary):
    bio: str
    certifications: list[Certification]
    timezone: str
    location: Location | None
    services: list[ServiceOut]
    created_at: datetime


class ReviewOut(ApiModel):
    id: uuid.UUID
    rating: int
    comment: str
    author_name: str
    created_at: datetime


class ModalityOut(ApiModel):
    slug: str
    name: str
    description: str
    practitioner_count: int


class LocationIn(ApiInput):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=100)


class CertificationIn(ApiInput):
    name: str = Field(min_length=2, max_length=200)
    issuer: str | None = Field(None, max_length=200)
    year: int | None = Field(None, ge=1950, le=2100)


Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000"), max_digits=12, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class PractitionerIn(ApiInput):
    display_name: str | None = Field(None, min_length=2, max_length=120)
    headline: str = Field("", max_length=160)
    bio: str = Field("", max_length=5000)
    experience_years: int = Field(0, ge=0, le=80)
    hourly_rate: Money
    currency: Currency = "INR"
    languages: list[Annotated[str, Field(min_length=2, max_length=40)]] = Field(
        default_factory=list, max_length=10
    )
    specializations: list[str] = Field(min_length=1, max_length=10)
    certifications: list[CertificationIn] = Field(default_factory=list, max_length=20)
    timezone: str = Field("Asia/Kolkata", max_length=64)
    offers_online: bool = True
    offers_in_person: bool = False
    location: LocationIn | None = None


class PractitionerUpdate(ApiInput):
    display_name: str | None = Field(None, min_length=2, max_length=120)
    headline: str | None = Field(None, max_length=160)
    bio: str | None = Field(None, max_length=5000)
    experience_years: int | None = Field(None, ge=0, le=80)
    hourly_rate: Money | None = None
    currency: Currency | None = None
    languages: list[Annotated[str, Field(min_length=2, max_length=40)]] | None = Field(
        None, max_length=10
    )
    specializations: list[str] | None = Field(None, min_length=1, max_length=10)
    certifications: list[CertificationIn] | None = Field(None, max_length=20)
    timezone: str | None = Field(None, max_length=64)
    offers_online: bool | None = None
    offers_in_person: bool | None = None
    location: LocationIn | None = None


class ServiceIn(ApiInput):
    name: str = Field(min_length=2, max_length=120)
    description: str = Field("", max_length=2000)
    category: str = Field(min_length=2, max_length=64)
    duration_minutes: int = Field(ge=5, le=480)
    price: Money
    currency: Currency = "INR"
    mode: ServiceMode


class ServiceUpdate(ApiInput):
    name: str | None = Field(None, min_length=2, max_length=120)
    description: str | None = Field(None, max_length=2000)
    category: str | None = Field(None, min_length=2, max_length=64)
    duration_minutes: int | None = Field(None, ge=5, le=480)
    price: Money | None = None
    currency: Currency | None = None
    mode: ServiceMode | None = None
    is_active: bool | None = None


class BlockedTimeIn(ApiInput):
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field("", max_length=200)


class BlockedTimeOut(ApiModel):
    id: uuid.UUID
    start: datetime
    end: datetime
    reason: str


class DocumentOut(ApiModel):
    id: uuid.UUID
    title: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class VerificationIn(ApiInput):
    decision: Literal["verified", "rejected"]
    reason: str = Field("", max_length=1000)


class VerificationOut(ApiModel):
    id: uuid.UUID
    decision: VerificationStatus
    reason: str
    decided_by: uuid.UUID | None
    created_at: datetime


class OwnPractitionerOut(PractitionerOut):
    is_active: bool
    verification_history: list[VerificationOut]
    documents: list[DocumentOut]


class QueueItemOut(ApiModel):
    practitioner: PractitionerSummary
    submitted_at: datetime
    documents: list[DocumentOut]


class SlotOut(ApiModel):
    start: datetime
    end: datetime


class AvailabilityOut(ApiModel):
    timezone: str
    practitioner_timezone: str
    service_id: uuid.UUID | None
    duration_minutes: int
    slots: list[SlotOut]
