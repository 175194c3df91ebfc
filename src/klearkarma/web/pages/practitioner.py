"""The practitioner's onboarding wizard, profile, credential documents and services.

Onboarding is four steps — profile, credentials, services, availability — each saved as it is
submitted, so a practitioner who leaves half-way comes back to the first step not yet done. Every
form calls the same ``practitioners.manage`` use cases and validates with the same API schemas as
``/v1/practitioners``; ``manage.owned`` / ``manage.own_profile`` decide whose profile it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, NotFound, ValidationFailed
from klearkarma.core.http import PRIVATE_DOWNLOAD
from klearkarma.identity import service as identity
from klearkarma.identity.policy import Principal
from klearkarma.platform import platform_of
from klearkarma.practitioners import manage
from klearkarma.practitioners.documents import MAX_DOCUMENT_BYTES
from klearkarma.practitioners.models import Practitioner
from klearkarma.practitioners.schemas import (
    PractitionerIn,
    PractitionerUpdate,
    ServiceIn,
    ServiceUpdate,
)
from klearkarma.search import cache as search
from klearkarma.web.forms import FormErrors, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.practice import (
    MODES,
    modalities,
    onboarding_page,
    own_practitioner,
    progress_of,
)
from klearkarma.web.rendering import redirect, render
from klearkarma.web.session import PagePermission, safe_next

router = page_router("/practitioner")
Owner = Annotated[Principal, Depends(PagePermission("practitioner:manage"))]
Text = Annotated[str, Form(max_length=200)]
LongText = Annotated[str, Form(max_length=5000)]


@router.get("")
async def home(request: Request, session: SessionDep, user: Owner) -> Response:
    """The practice's home: the bookings dashboard once onboarding is done, else the wizard."""
    progress = await progress_of(session, user)
    if not progress.complete:
        return redirect(request, "/practitioner/onboarding")
    return redirect(request, "/practitioner/bookings")


@router.get("/onboarding")
async def onboarding(
    request: Request, session: SessionDep, user: Owner, step: str | None = None
) -> Response:
    """The onboarding wizard; without ``step`` it resumes at the first step not done."""
    return await onboarding_page(request, session, user, step)


# Step 1: the profile.


def _languages(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


@router.post("/profile")
async def save_profile(
    request: Request,
    session: SessionDep,
    user: Owner,
    display_name: Text = "",
    headline: Text = "",
    bio: LongText = "",
    experience_years: Annotated[str, Form(max_length=10)] = "",
    hourly_rate: Annotated[str, Form(max_length=20)] = "",
    specializations: Annotated[list[str] | None, Form(max_length=20)] = None,
    languages: Text = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    offers_online: Annotated[str, Form(max_length=5)] = "",
    offers_in_person: Annotated[str, Form(max_length=5)] = "",
    next: Text = "",
) -> Response:
    """Create the profile (onboarding's first step) or update it; the same schemas as the API."""
    chosen = [s for s in (specializations or []) if s][:10]
    values = {
        "display_name": display_name,
        "headline": headline,
        "bio": bio,
        "experience_years": experience_years,
        "hourly_rate": hourly_rate,
        "specializations": chosen,
        "languages": languages,
        "timezone": timezone,
        "offers_online": bool(offers_online),
        "offers_in_person": bool(offers_in_person),
    }
    body: dict[str, Any] = {
        "displayName": display_name.strip() or None,
        "headline": headline.strip(),
        "bio": bio.strip(),
        "hourlyRate": hourly_rate.strip() or None,
        "specializations": chosen,
        "languages": _languages(languages),
        "timezone": timezone.strip() or "Asia/Kolkata",
        "offersOnline": bool(offers_online),
        "offersInPerson": bool(offers_in_person),
    }
    if experience_years.strip():
        body["experienceYears"] = experience_years.strip()
    existing = await own_practitioner(session, user)
    try:
        async with refusable(session):
            if existing is None:
                account = await identity.get_user(session, user.user_id)
                default_name = account.full_name if account is not None else "Practitioner"
                await manage.create_profile(
                    session, user, PractitionerIn.model_validate(body), default_name
                )
            else:
                locked = await manage.owned(session, user, existing.id, lock=True)
                await manage.update_profile(
                    session, locked, PractitionerUpdate.model_validate(body)
                )
                search.changed(session, platform_of(request).cache)
    except (AppError, ValidationError) as exc:
        if existing is not None:
            await session.refresh(existing)
        return await onboarding_page(
            request,
            session,
            user,
            "profile",
            values=values,
            errors=FormErrors.of(exc),
            status_code=exc.status_code if isinstance(exc, AppError) else 422,
        )
    if existing is None:
        return redirect(
            request,
            "/practitioner/onboarding?step=credentials",
            "Your profile is saved. Next, upload your credentials.",
        )
    return redirect(request, safe_next(next, "/practitioner/onboarding"), "Your profile is saved.")


# Step 2: credential documents.


async def _require_profile(session: AsyncSession, user: Principal) -> Practitioner:
    practitioner = await own_practitioner(session, user)
    if practitioner is None:
        raise NotFound("Create your practitioner profile first.")
    return practitioner


@router.post("/documents")
async def upload_document(
    request: Request,
    session: SessionDep,
    user: Owner,
    document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Upload a credential (PDF or image, checked by content); only its owner and admins read it."""
    practitioner = await _require_profile(session, user)
    data = await document.read(MAX_DOCUMENT_BYTES + 1) if document is not None else b""
    try:
        async with refusable(session):
            if not data:
                raise ValidationFailed([("document", "Choose a file to upload.")])
            if len(data) > MAX_DOCUMENT_BYTES:
                raise ValidationFailed([("document", "The file is larger than 10 MiB.")])
            await manage.upload_document(
                session,
                platform_of(request).storage,
                practitioner,
                data,
                document.filename if document is not None else None,
            )
    except AppError as exc:
        return await onboarding_page(
            request,
            session,
            user,
            "credentials",
            errors=FormErrors.of(exc, aliases={"file": "document"}),
            status_code=422,
        )
    return redirect(request, "/practitioner/onboarding?step=credentials", "Document uploaded.")


@router.get("/documents/{document_id}")
async def download_document(
    document_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    """One of your credential files (never cached, never public)."""
    practitioner = await _require_profile(session, user)
    return await document_response(request, session, user, practitioner.id, document_id)


async def document_response(
    request: Request,
    session: AsyncSession,
    user: Principal,
    practitioner_id: uuid.UUID,
    document_id: uuid.UUID,
) -> Response:
    """A credential file for its owner or an admin, exactly as the API's download route."""
    storage = platform_of(request).storage
    data, kind = await manage.document_file(session, storage, user, practitioner_id, document_id)
    return Response(data, media_type=kind, headers=PRIVATE_DOWNLOAD)


# Step 3: services.


ServiceField = Annotated[str, Form(max_length=120)]


@dataclass(frozen=True, slots=True)
class ServiceForm:
    """The service form's fields as typed: redisplayed as they were on a refusal."""

    name: str
    description: str
    category: str
    duration_minutes: str
    price: str
    mode: str

    def values(self) -> dict[str, str]:
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def body(self) -> dict[str, Any]:
        """The API's service body (``ServiceIn``/``ServiceUpdate`` validate it)."""
        return {
            "name": self.name.strip(),
            "description": self.description.strip(),
            "category": self.category.strip(),
            "durationMinutes": self.duration_minutes.strip() or None,
            "price": self.price.strip() or None,
            "mode": self.mode.strip() or None,
        }


async def _service_form(
    name: ServiceField = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    category: ServiceField = "",
    duration_minutes: Annotated[str, Form(max_length=10)] = "",
    price: Annotated[str, Form(max_length=20)] = "",
    mode: Annotated[str, Form(max_length=20)] = "",
) -> ServiceForm:
    return ServiceForm(name, description, category, duration_minutes, price, mode)


ServiceFormDep = Annotated[ServiceForm, Depends(_service_form)]


async def _services_page(
    request: Request,
    session: AsyncSession,
    user: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    practitioner = await own_practitioner(session, user)
    if practitioner is None:
        return redirect(request, "/practitioner/onboarding", "Start with your profile.", "info")
    return render(
        request,
        "practitioner/services.html",
        {
            "p": practitioner,
            "services": await manage.list_services(session, practitioner),
            "modalities": await modalities(session),
            "modes": MODES,
            "values": {"mode": "online"},
            "section": "services",
            **extra,
        },
        status_code=status_code,
    )


@router.get("/services")
async def services(request: Request, session: SessionDep, user: Owner) -> Response:
    """Your services, active and retired, with a form to add one."""
    return await _services_page(request, session, user)


@router.post("/services")
async def add_service(
    request: Request,
    session: SessionDep,
    user: Owner,
    form: ServiceFormDep,
    next: Text = "",
) -> Response:
    """Publish a service (the API's ``POST /v1/practitioners/{id}/services``)."""
    practitioner = await _require_profile(session, user)
    values = form.values()
    back = safe_next(next, "/practitioner/services")
    try:
        async with refusable(session):
            body = ServiceIn.model_validate(form.body())
            await manage.add_service(session, practitioner, body)
            search.changed(session, platform_of(request).cache)
    except (AppError, ValidationError) as exc:
        status_code = exc.status_code if isinstance(exc, AppError) else 422
        if back.startswith("/practitioner/onboarding"):
            return await onboarding_page(
                request,
                session,
                user,
                "services",
                values=values,
                errors=FormErrors.of(exc),
                status_code=status_code,
            )
        return await _services_page(
            request,
            session,
            user,
            values=values,
            errors=FormErrors.of(exc),
            status_code=status_code,
        )
    return redirect(request, back, f"“{form.name.strip()}” is published.")


@router.get("/services/{service_id}")
async def edit_service_page(
    service_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    practitioner = await _require_profile(session, user)
    service = await manage.owned_service(session, practitioner, service_id)
    values = {
        "name": service.name,
        "description": service.description,
        "category": service.category,
        "duration_minutes": str(service.duration_minutes),
        "price": str(service.price),
        "mode": service.mode.value,
    }
    return render(
        request,
        "practitioner/service_edit.html",
        {
            "service": service,
            "values": values,
            "modalities": await modalities(session),
            "modes": MODES,
            "section": "services",
        },
    )


@router.post("/services/{service_id}")
async def update_service(
    service_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    user: Owner,
    form: ServiceFormDep,
) -> Response:
    """Change a service; bookings already made keep the price and length they were made at."""
    practitioner = await _require_profile(session, user)
    service = await manage.owned_service(session, practitioner, service_id)
    values = form.values()
    try:
        async with refusable(session):
            body = ServiceUpdate.model_validate(form.body())
            await manage.update_service(session, service, body)
            search.changed(session, platform_of(request).cache)
    except (AppError, ValidationError) as exc:
        await session.refresh(service)
        return render(
            request,
            "practitioner/service_edit.html",
            {
                "service": service,
                "values": values,
                "errors": FormErrors.of(exc),
                "modalities": await modalities(session),
                "modes": MODES,
                "section": "services",
            },
            status_code=exc.status_code if isinstance(exc, AppError) else 422,
        )
    return redirect(request, "/practitioner/services", "Service updated.")


async def _set_active(
    request: Request, session: AsyncSession, user: Principal, service_id: uuid.UUID, active: bool
) -> Response:
    practitioner = await _require_profile(session, user)
    service = await manage.owned_service(session, practitioner, service_id)
    await manage.update_service(session, service, ServiceUpdate(is_active=active))
    search.changed(session, platform_of(request).cache)
    notice = (
        f"“{service.name}” is offered again."
        if active
        else f"“{service.name}” is no longer offered; its past bookings are kept."
    )
    return redirect(request, "/practitioner/services", notice)


@router.post("/services/{service_id}/deactivate")
async def deactivate_service(
    service_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    """Stop offering a service (the API's ``DELETE``): new bookings stop, old ones stay."""
    return await _set_active(request, session, user, service_id, False)


@router.post("/services/{service_id}/activate")
async def activate_service(
    service_id: uuid.UUID, request: Request, session: SessionDep, user: Owner
) -> Response:
    """Offer a retired service again."""
    return await _set_active(request, session, user, service_id, True)
