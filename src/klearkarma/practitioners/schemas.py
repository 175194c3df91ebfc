"""API shapes of the practitioners context."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from klearkarma.core.schemas import ApiModel
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
