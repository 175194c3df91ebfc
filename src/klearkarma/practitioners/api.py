"""Public REST routes of the practitioners context: the directory and the services catalog."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import ValidationFailed
from klearkarma.core.pagination import PageDep, PageQuery
from klearkarma.core.query_model import QueryModel, documented, query_model
from klearkarma.core.response_cache import cache_response
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok, ok_json
from klearkarma.identity import service as identity
from klearkarma.identity.deps import OptionalPrincipal
from klearkarma.platform import platform_of
from klearkarma.practitioners import availability, service
from klearkarma.practitioners.models import Practitioner, Service, ServiceMode
from klearkarma.practitioners.schemas import (
    AvailabilityOut,
    CatalogServiceOut,
    Certification,
    Location,
    ModalityOut,
    PractitionerOut,
    PractitionerSort,
    PractitionerSummary,
    ReviewOut,
    ServiceOut,
)
from klearkarma.reviews import service as reviews

ZONES = frozenset(available_timezones())

router = APIRouter(prefix="/v1/practitioners", tags=["practitioners"], responses=ERROR_RESPONSES)
catalog_router = APIRouter(prefix="/v1/services", tags=["catalog"], responses=ERROR_RESPONSES)


def summary(practitioner: Practitioner, distance_km: float | None = None) -> PractitionerSummary:
    return PractitionerSummary.model_validate(practitioner).model_copy(
        update={"distance_km": round(distance_km, 2) if distance_km is not None else None}
    )


def profile(practitioner: Practitioner, services: list[Service]) -> PractitionerOut:
    location = None
    if practitioner.lat is not None and practitioner.lng is not None:
        location = Location(
            lat=practitioner.lat,
            lng=practitioner.lng,
            city=practitioner.city,
            country=practitioner.country,
        )
    return PractitionerOut(
        **summary(practitioner).model_dump(),
        bio=practitioner.bio,
        certifications=[Certification.model_validate(c) for c in practitioner.certifications],
        timezone=practitioner.timezone,
        location=location,
        services=[ServiceOut.model_validate(s) for s in services],
        created_at=practitioner.created_at,
    )


class DirectoryQuery(QueryModel):
    """The directory's query filters, one definition for the listing and for search."""

    specialization: str | None = Field(None, max_length=64)
    language: str | None = Field(None, max_length=64)
    min_rate: Decimal | None = Field(None, alias="minRate", ge=0, max_digits=12)
    max_rate: Decimal | None = Field(None, alias="maxRate", ge=0, max_digits=12)
    min_rating: float | None = Field(None, alias="minRating", ge=0, le=5)
    city: str | None = Field(None, max_length=100)
    online: bool | None = None
    in_person: bool | None = Field(None, alias="inPerson")
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    radius_km: float | None = Field(None, alias="radiusKm", gt=0, le=20000)

    def filters(self, sort: PractitionerSort) -> service.DirectoryFilters:
        return service.DirectoryFilters(
            specialization=self.specialization,
            language=self.language,
            min_rate=self.min_rate,
            max_rate=self.max_rate,
            min_rating=self.min_rating,
            city=self.city,
            online=self.online,
            in_person=self.in_person,
            lat=self.lat,
            lng=self.lng,
            radius_km=self.radius_km,
            sort=sort,
        )


class ListingQuery(PageQuery, DirectoryQuery):
    sort: PractitionerSort = PractitionerSort.RATING


@router.get(
    "", response_model=Envelope[list[PractitionerSummary]], openapi_extra=documented(ListingQuery)
)
async def list_practitioners(
    session: SessionDep,
    query: Annotated[ListingQuery, Depends(query_model(ListingQuery))],
) -> Envelope[list[PractitionerSummary]]:
    """Verified practitioners, filtered and sorted; ``distanceKm`` is set when lat/lng are given."""
    page = query.paging
    rows, total = await service.list_public_practitioners(session, query.filters(query.sort), page)
    return ok([summary(p, d) for p, d in rows], page.pagination(total))


@router.get("/{practitioner_id}", response_model=Envelope[PractitionerOut])
async def get_practitioner(
    practitioner_id: uuid.UUID, session: SessionDep, viewer: OptionalPrincipal
) -> Envelope[PractitionerOut]:
    """A verified practitioner's public profile with services and rating.

    The owner and admins also see a profile that is not (yet) public.
    """
    practitioner, services = await service.get_practitioner_for(session, practitioner_id, viewer)
    return ok(profile(practitioner, services))


@router.get(
    "/{practitioner_id}/availability",
    response_model=Envelope[AvailabilityOut],
    response_class=Response,
)
async def get_availability(
    practitioner_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    first: Annotated[date | None, Query(alias="from", description="first local date")] = None,
    last: Annotated[date | None, Query(alias="to", description="last local date")] = None,
    service_id: Annotated[uuid.UUID | None, Query(alias="serviceId")] = None,
    timezone: Annotated[str, Query(max_length=64, description="IANA zone for the answer")] = "UTC",
) -> Response:
    """Free slots for a service, as instants rendered in the asked time zone."""
    if timezone not in ZONES:
        raise ValidationFailed([("timezone", "Use an IANA time zone such as Asia/Kolkata.")])
    platform = platform_of(request)
    cache_response(request, service.practitioner_tag(practitioner_id))
    answer = await availability.slots_json(
        session,
        platform.cache,
        practitioner_id,
        service_id=service_id,
        first=first,
        last=last,
        zone=timezone,
    )
    return ok_json(answer)


@router.get("/{practitioner_id}/reviews", response_model=Envelope[list[ReviewOut]])
async def list_reviews(
    practitioner_id: uuid.UUID, session: SessionDep, page: PageDep
) -> Envelope[list[ReviewOut]]:
    """Reviews of a verified practitioner, newest first."""
    await service.require_public(session, practitioner_id)
    rows, total = await reviews.list_for_practitioner(session, practitioner_id, page)
    names = await identity.public_names(session, [r.seeker_id for r in rows])
    items = [
        ReviewOut(
            id=r.id,
            rating=r.rating,
            comment=r.comment,
            author_name=names.get(r.seeker_id, "Former member"),
            created_at=r.created_at,
        )
        for r in rows
    ]
    return ok(items, page.pagination(total))


@catalog_router.get("", response_model=Envelope[list[CatalogServiceOut]])
async def list_services(
    session: SessionDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
    mode: ServiceMode | None = None,
) -> Envelope[list[CatalogServiceOut]]:
    """Services offered by verified practitioners."""
    rows, total = await service.list_catalog_services(
        session, category=category, mode=mode, page=page
    )
    items = [
        CatalogServiceOut(
            **ServiceOut.model_validate(s).model_dump(), practitioner_name=name, city=city
        )
        for s, name, city in rows
    ]
    return ok(items, page.pagination(total))


@catalog_router.get("/categories", response_model=Envelope[list[ModalityOut]])
async def list_categories(session: SessionDep) -> Envelope[list[ModalityOut]]:
    """The modality taxonomy, with how many verified practitioners offer each."""
    rows = await service.list_modalities(session)
    return ok(
        [
            ModalityOut(slug=m.slug, name=m.name, description=m.description, practitioner_count=n)
            for m, n in rows
        ]
    )
