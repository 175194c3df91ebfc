"""Routes for practitioners running their own supply (and admins acting for them)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Request, UploadFile, status
from fastapi.responses import Response
from sqlalchemy import select

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import ValidationFailed
from klearkarma.core.http import PRIVATE_DOWNLOAD
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity import service as identity
from klearkarma.identity.deps import Require
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of
from klearkarma.practitioners import availability, manage
from klearkarma.practitioners.api import profile
from klearkarma.practitioners.documents import MAX_DOCUMENT_BYTES
from klearkarma.practitioners.models import AvailabilitySchedule, Practitioner, Service
from klearkarma.practitioners.schemas import (
    BlockedTimeIn,
    BlockedTimeOut,
    DocumentOut,
    OwnPractitionerOut,
    PractitionerIn,
    PractitionerUpdate,
    ServiceIn,
    ServiceOut,
    ServiceUpdate,
    VerificationOut,
)
from klearkarma.search import cache as search

router = APIRouter(prefix="/v1/practitioners", tags=["practitioners"], responses=ERROR_RESPONSES)
Manager = Annotated[Principal, Depends(Require("practitioner:manage"))]
Editor = Annotated[Principal, Depends(Require("profile:write"))]


async def own_view(session: SessionDep, practitioner: Practitioner) -> OwnPractitionerOut:
    services = await session.scalars(
        select(Service)
        .where(Service.practitioner_id == practitioner.id)
        .order_by(Service.price, Service.id)
    )
    public = profile(practitioner, list(services))
    return OwnPractitionerOut(
        **public.model_dump(),
        is_active=practitioner.is_active,
        verification_history=[
            VerificationOut.model_validate(v)
            for v in await manage.verification_history(session, practitioner.id)
        ],
        documents=[
            DocumentOut.model_validate(d)
            for d in await manage.list_documents(session, practitioner.id)
        ],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[OwnPractitionerOut])
async def create(
    body: PractitionerIn, principal: Manager, session: SessionDep
) -> Envelope[OwnPractitionerOut]:
    """Create the caller's practitioner profile; it stays private until an admin verifies it."""
    user = await identity.get_user(session, principal.user_id)
    default_name = user.full_name if user is not None else "Practitioner"
    practitioner = await manage.create_profile(session, principal, body, default_name)
    return ok(await own_view(session, practitioner))


@router.get("/me", response_model=Envelope[OwnPractitionerOut])
async def me(principal: Manager, session: SessionDep) -> Envelope[OwnPractitionerOut]:
    """The caller's own profile, whatever its verification status."""
    return ok(await own_view(session, await manage.own_profile(session, principal)))


@router.put("/{practitioner_id}", response_model=Envelope[OwnPractitionerOut])
async def update(
    practitioner_id: uuid.UUID,
    body: PractitionerUpdate,
    principal: Editor,
    session: SessionDep,
    request: Request,
) -> Envelope[OwnPractitionerOut]:
    """Update a profile (owner or admin)."""
    practitioner = await manage.owned(session, principal, practitioner_id, lock=True)
    await manage.update_profile(session, practitioner, body)
    search.changed(session, platform_of(request).cache)
    return ok(await own_view(session, practitioner))


@router.post(
    "/{practitioner_id}/services",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[ServiceOut],
)
async def add_service(
    practitioner_id: uuid.UUID,
    body: ServiceIn,
    principal: Editor,
    session: SessionDep,
    request: Request,
) -> Envelope[ServiceOut]:
    """Publish a service: name, category, duration, price, online or in person."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    search.changed(session, platform_of(request).cache)
    return ok(ServiceOut.model_validate(await manage.add_service(session, practitioner, body)))


@router.put("/{practitioner_id}/services/{service_id}", response_model=Envelope[ServiceOut])
async def update_service(
    practitioner_id: uuid.UUID,
    service_id: uuid.UUID,
    body: ServiceUpdate,
    principal: Editor,
    session: SessionDep,
    request: Request,
) -> Envelope[ServiceOut]:
    """Change a service, or retire it with ``isActive: false``."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    service = await manage.owned_service(session, practitioner, service_id)
    await manage.update_service(session, service, body)
    search.changed(session, platform_of(request).cache)
    return ok(ServiceOut.model_validate(service))


@router.delete("/{practitioner_id}/services/{service_id}", response_model=Envelope[ServiceOut])
async def retire_service(
    practitioner_id: uuid.UUID,
    service_id: uuid.UUID,
    principal: Editor,
    session: SessionDep,
    request: Request,
) -> Envelope[ServiceOut]:
    """Stop offering a service (kept for the bookings that used it)."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    service = await manage.owned_service(session, practitioner, service_id)
    service.is_active = False
    await session.flush()
    search.changed(session, platform_of(request).cache)
    return ok(ServiceOut.model_validate(service))


@router.put("/{practitioner_id}/availability", response_model=Envelope[dict[str, Any]])
async def put_rules(
    practitioner_id: uuid.UUID,
    request: Request,
    principal: Editor,
    session: SessionDep,
    body: Annotated[dict[str, Any], Body()],
) -> Envelope[dict[str, Any]]:
    """Replace the booking rules: weekly hours in the practitioner's zone, overrides, buffers…"""
    practitioner = await manage.owned(session, principal, practitioner_id, lock=True)
    stored = await manage.set_rules(session, platform_of(request).cache, practitioner, body)
    return ok(stored)


@router.get("/{practitioner_id}/availability/rules", response_model=Envelope[dict[str, Any]])
async def get_rules(
    practitioner_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Envelope[dict[str, Any]]:
    """The booking rules as last saved (owner or admin)."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    schedule = await session.get(AvailabilitySchedule, practitioner.id)
    return ok(availability.schedule_payload(schedule) if schedule else {})


@router.post(
    "/{practitioner_id}/blocked-times",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[BlockedTimeOut],
)
async def block(
    practitioner_id: uuid.UUID,
    body: BlockedTimeIn,
    request: Request,
    principal: Editor,
    session: SessionDep,
) -> Envelope[BlockedTimeOut]:
    """Block a period (holiday, retreat); it removes overlapping slots at once."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    created = await manage.add_blocked_time(
        session, platform_of(request).cache, practitioner, body.start, body.end, body.reason
    )
    return ok(
        BlockedTimeOut(
            id=created.id, start=created.starts_at, end=created.ends_at, reason=created.reason
        )
    )


@router.get("/{practitioner_id}/blocked-times", response_model=Envelope[list[BlockedTimeOut]])
async def blocked(
    practitioner_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Envelope[list[BlockedTimeOut]]:
    """Current and future blocked periods."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    rows = await manage.list_blocked_times(session, practitioner)
    return ok(
        [BlockedTimeOut(id=b.id, start=b.starts_at, end=b.ends_at, reason=b.reason) for b in rows]
    )


@router.delete(
    "/{practitioner_id}/blocked-times/{block_id}", response_model=Envelope[dict[str, str]]
)
async def unblock(
    practitioner_id: uuid.UUID,
    block_id: uuid.UUID,
    request: Request,
    principal: Editor,
    session: SessionDep,
) -> Envelope[dict[str, str]]:
    """Remove a blocked period."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    await manage.remove_blocked_time(session, platform_of(request).cache, practitioner, block_id)
    return ok({"message": "Blocked time removed."})


@router.post(
    "/{practitioner_id}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[DocumentOut],
)
async def upload_document(
    practitioner_id: uuid.UUID,
    request: Request,
    principal: Editor,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or WebP, at most 10 MiB")],
) -> Envelope[DocumentOut]:
    """Upload a credential for verification; only the owner and admins can ever read it."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    data = await file.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed([("file", "The file is larger than 10 MiB.")])
    document = await manage.upload_document(
        session, platform_of(request).storage, practitioner, data, file.filename
    )
    return ok(DocumentOut.model_validate(document))


@router.get("/{practitioner_id}/documents", response_model=Envelope[list[DocumentOut]])
async def list_documents(
    practitioner_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Envelope[list[DocumentOut]]:
    """The credentials uploaded for this profile."""
    practitioner = await manage.owned(session, principal, practitioner_id)
    rows = await manage.list_documents(session, practitioner.id)
    return ok([DocumentOut.model_validate(d) for d in rows])


@router.get("/{practitioner_id}/documents/{document_id}")
async def download_document(
    practitioner_id: uuid.UUID,
    document_id: uuid.UUID,
    request: Request,
    principal: Editor,
    session: SessionDep,
) -> Response:
    """One credential file (owner or admin; never cached, never public)."""
    storage = platform_of(request).storage
    data, kind = await manage.document_file(
        session, storage, principal, practitioner_id, document_id
    )
    return Response(data, media_type=kind, headers=PRIVATE_DOWNLOAD)
