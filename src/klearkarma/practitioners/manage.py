"""Use cases of practitioners managing their own supply: profile, services, rules, documents.

Every function takes an already-authorised ``Practitioner`` (see ``owned``); routes never load one
by id without going through it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from klearkarma.core.ids import uuid7
from klearkarma.core.storage import Storage
from klearkarma.identity.policy import Principal
from klearkarma.practitioners import availability, documents
from klearkarma.practitioners.models import (
    AvailabilitySchedule,
    BlockedTime,
    CredentialDocument,
    Modality,
    Practitioner,
    Service,
    VerificationDecision,
    VerificationStatus,
)
from klearkarma.practitioners.schemas import (
    PractitionerIn,
    PractitionerUpdate,
    ServiceIn,
    ServiceUpdate,
)
from klearkarma.practitioners.service import bump_availability
from klearkarma.scheduling.rules import RulesError, rules_from_payload, rules_to_payload

MAX_BLOCK = timedelta(days=366)
_TIMEZONES = frozenset(available_timezones())


async def owned(
    session: AsyncSession, principal: Principal, practitioner_id: uuid.UUID, *, lock: bool = False
) -> Practitioner:
    """The practitioner profile if the caller owns it or is an admin; 404 otherwise."""
    practitioner = await session.get(Practitioner, practitioner_id, with_for_update=lock)
    if practitioner is None or not (
        practitioner.user_id == principal.user_id or principal.is_admin
    ):
        raise NotFound("Practitioner not found.")
    return practitioner


async def own_profile(session: AsyncSession, principal: Principal) -> Practitioner:
    practitioner = await session.scalar(
        select(Practitioner).where(Practitioner.user_id == principal.user_id)
    )
    if practitioner is None:
        raise NotFound("You have no practitioner profile yet: POST /v1/practitioners.")
    return practitioner


async def _check(
    session: AsyncSession,
    *,
    specializations: list[str] | None = None,
    timezone: str | None = None,
    category: str | None = None,
) -> list[str] | None:
    errors: list[tuple[str, str]] = []
    known = set(await session.scalars(select(Modality.slug)))
    cleaned = None
    if specializations is not None:
        cleaned = list(dict.fromkeys(s.strip().lower() for s in specializations))
        unknown = [s for s in cleaned if s not in known]
        if unknown:
            errors.append(("specializations", f"Unknown modalities: {', '.join(unknown)}."))
    if timezone is not None and timezone not in _TIMEZONES:
        errors.append(("timezone", "Use an IANA time zone such as Asia/Kolkata."))
    if category is not None and category.strip().lower() not in known:
        errors.append(("category", "Use one of the modalities from /v1/services/categories."))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _apply_location(practitioner: Practitioner, location: Any) -> None:
    if location is None:
        return
    practitioner.lat, practitioner.lng = location.lat, location.lng
    practitioner.city, practitioner.country = location.city, location.country


async def create_profile(
    session: AsyncSession, principal: Principal, data: PractitionerIn, default_name: str
) -> Practitioner:
    if not principal.can("practitioner:manage"):
        raise Forbidden("Only practitioner accounts can create a practitioner profile.")
    if await session.scalar(
        select(Practitioner.id).where(Practitioner.user_id == principal.user_id)
    ):
        raise Conflict("You already have a practitioner profile; update it instead.")
    specializations = await _check(
        session, specializations=data.specializations, timezone=data.timezone
    )
    if not (data.offers_online or data.offers_in_person):
        raise ValidationFailed([("offersOnline", "Offer sessions online, in person, or both.")])
    practitioner = Practitioner(
        user_id=principal.user_id,
        display_name=data.display_name or default_name,
        headline=data.headline,
        bio=data.bio,
        experience_years=data.experience_years,
        hourly_rate=data.hourly_rate,
        currency=data.currency,
        languages=[language.strip().title() for language in data.languages],
        specializations=specializations or [],
        certifications=[c.model_dump() for c in data.certifications],
        verification_status=VerificationStatus.PENDING,
        timezone=data.timezone,
        offers_online=data.offers_online,
        offers_in_person=data.offers_in_person,
    )
    _apply_location(practitioner, data.location)
    session.add(practitioner)
    await session.flush()
    session.add(
        VerificationDecision(
            practitioner_id=practitioner.id,
            decided_by=None,
            decision=VerificationStatus.PENDING,
            reason="Profile submitted for verification.",
        )
    )
    await session.flush()
    return practitioner


async def update_profile(
    session: AsyncSession, practitioner: Practitioner, data: PractitionerUpdate
) -> None:
    sent = data.model_fields_set
    specializations = await _check(
        session,
        specializations=data.specializations if "specializations" in sent else None,
        timezone=data.timezone if "timezone" in sent else None,
    )
    for field in (
        "display_name",
        "headline",
        "bio",
        "experience_years",
        "hourly_rate",
        "currency",
        "timezone",
        "offers_online",
        "offers_in_person",
    ):
        value = getattr(data, field)
        if field in sent and value is not None:
            setattr(practitioner, field, value)
    if "languages" in sent and data.languages is not None:
        practitioner.languages = [language.strip().title() for language in data.languages]
    if specializations is not None:
        practitioner.specializations = specializations
    if "certifications" in sent and data.certifications is not None:
        practitioner.certifications = [c.model_dump() for c in data.certifications]
    if "location" in sent:
        _apply_location(practitioner, data.location)
    if not (practitioner.offers_online or practitioner.offers_in_person):
        raise ValidationFailed([("offersOnline", "Offer sessions online, in person, or both.")])
    await session.flush()


async def add_service(
    session: AsyncSession, practitioner: Practitioner, data: ServiceIn
) -> Service:
    await _check(session, category=data.category)
    service = Service(
        practitioner_id=practitioner.id,
        name=data.name,
        description=data.description,
        category=data.category.strip().lower(),
        duration_minutes=data.duration_minutes,
        price=data.price,
        currency=data.currency,
        mode=data.mode,
    )
    session.add(service)
    await session.flush()
    return service


async def list_services(session: AsyncSession, practitioner: Practitioner) -> list[Service]:
    """All of a practitioner's services, retired ones included, cheapest first."""
    rows = await session.scalars(
        select(Service)
        .where(Service.practitioner_id == practitioner.id)
        .order_by(Service.is_active.desc(), Service.price, Service.id)
    )
    return list(rows)


async def owned_service(
    session: AsyncSession, practitioner: Practitioner, service_id: uuid.UUID
) -> Service:
    service = await session.get(Service, service_id)
    if service is None or service.practitioner_id != practitioner.id:
        raise NotFound("Service not found.")
    return service


async def update_service(session: AsyncSession, service: Service, data: ServiceUpdate) -> None:
    sent = data.model_fields_set
    if "category" in sent and data.category is not None:
        await _check(session, category=data.category)
        service.category = data.category.strip().lower()
    for field in (
        "name",
        "description",
        "duration_minutes",
        "price",
        "currency",
        "mode",
        "is_active",
    ):
        value = getattr(data, field)
        if field in sent and value is not None:
            setattr(service, field, value)
    await session.flush()


async def set_rules(
    session: AsyncSession, cache: CacheBackend, practitioner: Practitioner, payload: dict[str, Any]
) -> dict[str, Any]:
    """Replace the booking rules; the payload is the contract's availability body."""
    try:
        rules = rules_from_payload(payload)
    except RulesError as exc:
        raise ValidationFailed(exc.errors, "The availability rules are invalid.") from exc
    stored = rules_to_payload(rules)
    schedule = await session.get(AvailabilitySchedule, practitioner.id, with_for_update=True)
    if schedule is None:
        schedule = AvailabilitySchedule(practitioner_id=practitioner.id)
        session.add(schedule)
    schedule.timezone = rules.timezone
    schedule.weekly_hours = stored["weeklyHours"]
    schedule.overrides = stored["overrides"]
    schedule.buffer_before_minutes = stored["bufferBeforeMinutes"]
    schedule.buffer_after_minutes = stored["bufferAfterMinutes"]
    schedule.min_notice_minutes = stored["minNoticeMinutes"]
    schedule.max_advance_days = stored["maxAdvanceDays"]
    schedule.slot_interval_minutes = stored["slotIntervalMinutes"]
    schedule.daily_booking_limit = stored.get("dailyBookingLimit")
    await session.flush()
    bump_availability(session, cache, practitioner.id)
    return stored


async def rules_of(session: AsyncSession, practitioner: Practitioner) -> dict[str, Any] | None:
    """The booking rules as last saved (the availability payload), or None before the first."""
    schedule = await session.get(AvailabilitySchedule, practitioner.id)
    if schedule is None:
        return None
    return availability.schedule_payload(schedule)


async def add_blocked_time(
    session: AsyncSession,
    cache: CacheBackend,
    practitioner: Practitioner,
    start: datetime,
    end: datetime,
    reason: str,
) -> BlockedTime:
    if end <= start:
        raise ValidationFailed([("end", "The end must be after the start.")])
    if end - start > MAX_BLOCK:
        raise ValidationFailed([("end", "Block at most a year at a time.")])
    if end <= datetime.now(UTC):
        raise ValidationFailed([("end", "The blocked time is already over.")])
    block = BlockedTime(
        practitioner_id=practitioner.id,
        starts_at=start.astimezone(UTC),
        ends_at=end.astimezone(UTC),
        reason=reason,
    )
    session.add(block)
    await session.flush()
    bump_availability(session, cache, practitioner.id)
    return block


async def list_blocked_times(
    session: AsyncSession, practitioner: Practitioner
) -> list[BlockedTime]:
    rows = await session.scalars(
        select(BlockedTime)
        .where(
            BlockedTime.practitioner_id == practitioner.id, BlockedTime.ends_at > datetime.now(UTC)
        )
        .order_by(BlockedTime.starts_at)
    )
    return list(rows)


async def remove_blocked_time(
    session: AsyncSession, cache: CacheBackend, practitioner: Practitioner, block_id: uuid.UUID
) -> None:
    result = await session.execute(
        delete(BlockedTime).where(
            BlockedTime.id == block_id, BlockedTime.practitioner_id == practitioner.id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("Blocked time not found.")
    bump_availability(session, cache, practitioner.id)


async def upload_document(
    session: AsyncSession,
    storage: Storage,
    practitioner: Practitioner,
    data: bytes,
    filename: str | None,
) -> CredentialDocument:
    try:
        content_type, extension = documents.sniff(data)
    except documents.DocumentError as exc:
        raise ValidationFailed([("file", str(exc))]) from exc
    key = f"credentials/{practitioner.id}/{uuid7().hex}.{extension}"
    await storage.save(key, data, content_type)
    document = CredentialDocument(
        practitioner_id=practitioner.id,
        storage_key=key,
        title=documents.clean_title(filename),
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.add(document)
    await session.flush()
    return document


async def list_documents(
    session: AsyncSession, practitioner_id: uuid.UUID
) -> list[CredentialDocument]:
    rows = await session.scalars(
        select(CredentialDocument)
        .where(CredentialDocument.practitioner_id == practitioner_id)
        .order_by(CredentialDocument.uploaded_at)
    )
    return list(rows)


async def owned_document(
    session: AsyncSession, practitioner: Practitioner, document_id: uuid.UUID
) -> CredentialDocument:
    document = await session.get(CredentialDocument, document_id)
    if document is None or document.practitioner_id != practitioner.id:
        raise NotFound("Document not found.")
    return document


async def document_file(
    session: AsyncSession,
    storage: Storage,
    principal: Principal,
    practitioner_id: uuid.UUID,
    document_id: uuid.UUID,
) -> tuple[bytes, str]:
    """A credential file's bytes and type, for its owner or an admin; 404 for anyone else."""
    practitioner = await owned(session, principal, practitioner_id)
    document = await owned_document(session, practitioner, document_id)
    return await storage.read(document.storage_key), document.content_type


async def verification_history(
    session: AsyncSession, practitioner_id: uuid.UUID
) -> list[VerificationDecision]:
    rows = await session.scalars(
        select(VerificationDecision)
        .where(VerificationDecision.practitioner_id == practitioner_id)
        .order_by(VerificationDecision.created_at.desc(), VerificationDecision.id.desc())
    )
    return list(rows)
