"""Plain functions that build real rows; each takes the session and returns the flushed model."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings.models import Booking, BookingStatus
from klearkarma.identity.models import User, UserStatus, UserType
from klearkarma.practitioners.models import (
    Practitioner,
    Service,
    ServiceMode,
    VerificationStatus,
)
from klearkarma.reviews.models import Review

_counter = itertools.count(1)


async def make_user(session: AsyncSession, **fields: Any) -> User:
    n = next(_counter)
    values: dict[str, Any] = {
        "email": f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
        "password_hash": None,
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "user_type": UserType.SEEKER,
        "status": UserStatus.ACTIVE,
    }
    values.update(fields)
    user = User(**values)
    session.add(user)
    await session.flush()
    return user


async def make_practitioner(session: AsyncSession, **fields: Any) -> Practitioner:
    user = await make_user(session, user_type=UserType.PRACTITIONER)
    values: dict[str, Any] = {
        "user_id": user.id,
        "display_name": f"{user.first_name} {user.last_name}",
        "headline": "Holistic practice",
        "bio": "Experienced practitioner.",
        "experience_years": 5,
        "hourly_rate": Decimal("1500.00"),
        "languages": ["English"],
        "specializations": ["yoga"],
        "certifications": [],
        "verification_status": VerificationStatus.VERIFIED,
        "timezone": "Asia/Kolkata",
        "offers_online": True,
        "offers_in_person": False,
        "lat": 12.9716,
        "lng": 77.5946,
        "city": "Bangalore",
        "country": "India",
    }
    values.update(fields)
    practitioner = Practitioner(**values)
    session.add(practitioner)
    await session.flush()
    return practitioner


async def make_service(session: AsyncSession, practitioner: Practitioner, **fields: Any) -> Service:
    values: dict[str, Any] = {
        "practitioner_id": practitioner.id,
        "name": "Private session",
        "description": "One to one.",
        "category": practitioner.specializations[0],
        "duration_minutes": 60,
        "price": Decimal("1500.00"),
        "mode": ServiceMode.ONLINE,
    }
    values.update(fields)
    service = Service(**values)
    session.add(service)
    await session.flush()
    return service


async def make_review(
    session: AsyncSession, practitioner: Practitioner, rating: int, comment: str = "Lovely"
) -> Review:
    seeker = await make_user(session)
    service = await make_service(session, practitioner)
    start = datetime.now(UTC) - timedelta(days=3)
    booking = Booking(
        seeker_id=seeker.id,
        practitioner_id=practitioner.id,
        service_id=service.id,
        status=BookingStatus.COMPLETED,
        mode=service.mode,
        scheduled_at=start,
        ends_at=start + timedelta(minutes=service.duration_minutes),
        duration_minutes=service.duration_minutes,
        total_amount=service.price,
        commission_amount=(service.price * Decimal("0.15")).quantize(Decimal("0.01")),
    )
    session.add(booking)
    await session.flush()
    review = Review(
        booking_id=booking.id,
        seeker_id=seeker.id,
        practitioner_id=practitioner.id,
        rating=rating,
        comment=comment,
    )
    session.add(review)
    await session.flush()
    return review
