"""Demo data for `make run`: a few named accounts to log in with, and a browsable marketplace.

Loaded only into an empty database (no seekers or practitioners yet), under an advisory lock so
that replicas starting together load it once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import structlog
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.demo.payments import add_demo_payments
from klearkarma.demo.seed import seed_database
from klearkarma.identity.models import User, UserType
from klearkarma.identity.passwords import hash_password
from klearkarma.identity.service import create_user
from klearkarma.platform import Platform
from klearkarma.practitioners.models import (
    AvailabilitySchedule,
    Practitioner,
    Service,
    ServiceMode,
    VerificationStatus,
)

log = structlog.get_logger("klearkarma.demo")

DEMO_PASSWORD = "KlearKarma!2026"  # noqa: S105 - published in the README, demo data only
DEMO_SEEKER_EMAIL = "seeker@demo.klearkarma.com"
DEMO_PRACTITIONER_EMAIL = "practitioner@demo.klearkarma.com"
DEMO_LOCK_ID = 7_250_515_002

DEMO_SIZES = {"practitioners": 120, "seekers": 80, "bookings": 900}


async def _has_marketplace_users(session: AsyncSession) -> bool:
    count = await session.scalar(
        select(func.count()).select_from(User).where(User.user_type != UserType.ADMIN)
    )
    return bool(count)


async def _add_named_accounts(session: AsyncSession, rounds: int) -> None:
    await create_user(
        session,
        email=DEMO_SEEKER_EMAIL,
        password=DEMO_PASSWORD,
        first_name="Meera",
        last_name="Iyer",
        user_type=UserType.SEEKER,
        password_rounds=rounds,
        email_verified=True,
    )
    user = await create_user(
        session,
        email=DEMO_PRACTITIONER_EMAIL,
        password=DEMO_PASSWORD,
        first_name="Ananya",
        last_name="Rao",
        user_type=UserType.PRACTITIONER,
        password_rounds=rounds,
        email_verified=True,
    )
    practitioner = Practitioner(
        user_id=user.id,
        display_name="Ananya Rao",
        headline="Iyengar yoga and mindfulness for busy minds",
        bio=(
            "I have taught Iyengar yoga in Bangalore for twelve years and trained in "
            "mindfulness-based stress reduction. Sessions are gentle, precise and adapted to "
            "injuries; online classes work well with a mat and two blocks."
        ),
        experience_years=12,
        hourly_rate=Decimal("1800.00"),
        currency="INR",
        languages=["English", "Kannada", "Hindi"],
        specializations=["yoga", "meditation", "breathwork"],
        certifications=[
            {"name": "Certified Iyengar Yoga Teacher", "issuer": "RIMYI Pune", "year": 2015},
            {"name": "MBSR Teacher Training", "issuer": "UMass Memorial", "year": 2019},
        ],
        verification_status=VerificationStatus.VERIFIED,
        verified_at=datetime.now(UTC),
        timezone="Asia/Kolkata",
        offers_online=True,
        offers_in_person=True,
        lat=12.9716,
        lng=77.5946,
        city="Bangalore",
        country="India",
    )
    session.add(practitioner)
    await session.flush()
    session.add_all(
        [
            Service(
                practitioner_id=practitioner.id,
                name="Iyengar yoga — private class",
                description="Alignment-focused practice with props, tailored to your body.",
                category="yoga",
                duration_minutes=60,
                price=Decimal("1800.00"),
                mode=ServiceMode.IN_PERSON,
            ),
            Service(
                practitioner_id=practitioner.id,
                name="Online yoga session",
                description="A live one-to-one class over video.",
                category="yoga",
                duration_minutes=45,
                price=Decimal("1200.00"),
                mode=ServiceMode.ONLINE,
            ),
            Service(
                practitioner_id=practitioner.id,
                name="Guided mindfulness meditation",
                description="Breath-led meditation to settle a busy mind.",
                category="meditation",
                duration_minutes=30,
                price=Decimal("800.00"),
                mode=ServiceMode.ONLINE,
            ),
        ]
    )
    session.add(
        AvailabilitySchedule(
            practitioner_id=practitioner.id,
            timezone="Asia/Kolkata",
            weekly_hours=[
                {"day": day, "start": start, "end": end}
                for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
                for start, end in (("07:00", "11:00"), ("16:00", "19:30"))
            ]
            + [{"day": "saturday", "start": "08:00", "end": "12:00"}],
            overrides=[],
            buffer_before_minutes=0,
            buffer_after_minutes=15,
            min_notice_minutes=240,
            max_advance_days=60,
            slot_interval_minutes=30,
        )
    )


async def load_demo_data(platform: Platform) -> bool:
    """Fill an empty marketplace; return whether anything was loaded."""
    rounds = platform.settings.password_rounds
    async with platform.db.transaction() as session:
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": DEMO_LOCK_ID})
        if await _has_marketplace_users(session):
            return False
        await _add_named_accounts(session, rounds)
        # COPY the generated rows through this session's own connection, so the named accounts
        # and the generated marketplace commit (or vanish) together.
        raw = await (await session.connection()).get_raw_connection()
        connection: asyncpg.Connection = raw.driver_connection
        counts = await seed_database(
            connection,
            **DEMO_SIZES,
            password_hash=hash_password(DEMO_PASSWORD, rounds),
            now=datetime.now(UTC),
        )
    await add_demo_payments(
        platform, seeker_email=DEMO_SEEKER_EMAIL, practitioner_email=DEMO_PRACTITIONER_EMAIL
    )
    log.info("demo.loaded", practitioners=counts.practitioners + 1, bookings=counts.bookings)
    return True
