"""Tables of the practitioners context."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base, Timestamps, UUIDPrimaryKey, str_enum


class VerificationStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ServiceMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"


# The services' own search document (``GET /v1/search/services``); a generated column, so COPY
# and every ORM write keep it current without a trigger.
SERVICE_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, category), 'A') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')"
)


class Modality(Base):
    """The catalog's taxonomy: a practitioner's specializations and a service's category."""

    __tablename__ = "modalities"

    slug: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(SmallInteger, default=0)


class Practitioner(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "practitioners"
    __table_args__ = (
        CheckConstraint("experience_years >= 0 AND experience_years <= 80", name="experience"),
        CheckConstraint("hourly_rate >= 0", name="hourly_rate"),
        CheckConstraint("rating >= 0 AND rating <= 5", name="rating"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng"),
        # The public listing only ever reads verified, active rows.
        Index(
            "ix_practitioners_public_rating",
            "rating",
            postgresql_where=text("verification_status = 'verified' AND is_active"),
        ),
        Index("ix_practitioners_city", func.lower(text("city"))),
        Index("ix_practitioners_lat_lng", "lat", "lng"),
        Index("ix_practitioners_specializations", "specializations", postgresql_using="gin"),
        Index("ix_practitioners_languages", "languages", postgresql_using="gin"),
        Index("ix_practitioners_verification_status", "verification_status"),
        # Search (migration 0006): the trigger-maintained document and public name completion.
        Index("ix_practitioners_search_vector", "search_vector", postgresql_using="gin"),
        Index(
            "ix_practitioners_name_prefix",
            func.lower(text("display_name")).label("name"),
            postgresql_ops={"name": "text_pattern_ops"},
        ),
        # Search (migration 0008): broad searches rank the best candidates by this index.
        Index(
            "ix_practitioners_search_quality",
            text("search_quality DESC"),
            "id",
            postgresql_where=text("verification_status = 'verified' AND is_active"),
        ),
        # Search (migration 0009): what changed since an in-memory index last looked.
        Index("ix_practitioners_search_revision", "search_revision"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    display_name: Mapped[str] = mapped_column(Text)
    headline: Mapped[str] = mapped_column(Text, default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    experience_years: Mapped[int] = mapped_column(Integer, default=0)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text, default="INR")
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    specializations: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    certifications: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    verification_status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_status"), default=VerificationStatus.PENDING
    )
    verified_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    timezone: Mapped[str] = mapped_column(Text, default="Asia/Kolkata")
    offers_online: Mapped[bool] = mapped_column(Boolean, default=True)
    offers_in_person: Mapped[bool] = mapped_column(Boolean, default=False)
    lat: Mapped[float | None] = mapped_column(Double)
    lng: Mapped[float | None] = mapped_column(Double)
    city: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[Decimal] = mapped_column(Numeric(3, 2), default=Decimal("0"))
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    total_sessions: Mapped[int] = mapped_column(Integer, default=0)
    # The platform's share of this practitioner's bookings; NULL means the platform default.
    commission_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    # Written only by the search triggers (it folds in the services); never loaded by default.
    search_vector: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    # The static part of the search ranking (docs/search.md): a Bayesian-average rating and the
    # sessions held, 0..1. Stored and indexed so broad searches can take the best candidates first.
    search_quality: Mapped[float] = mapped_column(
        Double,
        Computed(
            "0.75 * ((5.0 * 4.0 + review_count * rating::double precision)"
            " / (5.0 + review_count) / 5.0)"
            " + 0.25 * least(1.0, ln(1.0 + total_sessions) / ln(1001.0))",
            persisted=True,
        ),
        deferred=True,
    )
    # Moves on every insert and update (a trigger, migration 0009): the search index reads the
    # rows changed since the revision it has seen (search/index.py).
    search_revision: Mapped[int] = mapped_column(
        BigInteger,
        server_default=text("nextval('search_revision')"),
        deferred=True,
    )


class Service(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration"),
        CheckConstraint("price >= 0", name="price"),
        Index("ix_services_practitioner_id", "practitioner_id"),
        Index("ix_services_category", "category"),
        Index("ix_services_search_vector", "search_vector", postgresql_using="gin"),
    )

    practitioner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(ForeignKey("modalities.slug"))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text, default="INR")
    mode: Mapped[ServiceMode] = mapped_column(str_enum(ServiceMode, "service_mode"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SERVICE_DOCUMENT, persisted=True), deferred=True
    )


class AvailabilitySchedule(Base):
    """A practitioner's booking rules, in the practitioner's own IANA zone."""

    __tablename__ = "availability_schedules"

    practitioner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(Text)
    # [{"day": "monday", "start": "09:00", "end": "13:00"}, ...]
    weekly_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # [{"date": "2026-12-25", "intervals": []}, ...]; no intervals means a day off
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=240)
    max_advance_days: Mapped[int] = mapped_column(Integer, default=60)
    slot_interval_minutes: Mapped[int] = mapped_column(Integer, default=30)
    daily_booking_limit: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class BlockedTime(UUIDPrimaryKey, Base):
    """Time a practitioner is unavailable outside the weekly rules (holiday, errand, retreat)."""

    __tablename__ = "blocked_times"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_blocked_times_practitioner_id_starts_at", "practitioner_id", "starts_at"),
    )

    practitioner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CredentialDocument(UUIDPrimaryKey, Base):
    """A credential a practitioner uploaded for verification; stored privately, never public."""

    __tablename__ = "credential_documents"
    __table_args__ = (Index("ix_credential_documents_practitioner_id", "practitioner_id"),)

    practitioner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE")
    )
    storage_key: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class VerificationDecision(UUIDPrimaryKey, Base):
    """The audit trail of verification: every submission and every admin decision."""

    __tablename__ = "verification_decisions"
    __table_args__ = (
        Index(
            "ix_verification_decisions_practitioner_id_created_at", "practitioner_id", "created_at"
        ),
    )

    practitioner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE")
    )
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decision: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_decision")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
