"""A practitioner's public profile: bio, credentials, services, reviews and free slots.

The slot picker is a plain GET form (pick a time, continue to the review step); ``slots.js``
re-draws it in the browser's own time zone and refreshes it when another service is picked.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.pagination import PageParams
from klearkarma.identity import service as identity
from klearkarma.practitioners import service as practitioners
from klearkarma.reviews import service as reviews
from klearkarma.web.pages import page_router
from klearkarma.web.rendering import render
from klearkarma.web.session import MaybePageUser
from klearkarma.web.slots import COMMON_ZONES, slot_grid, week_start, zone_or

router = page_router()
REVIEWS_SHOWN = 10


async def visitor_zone(
    request: Request, session: SessionDep, user: MaybePageUser, fallback: str
) -> str:
    """The zone to show times in: the ``tz`` asked for, else the account's, else ``fallback``."""
    asked = request.query_params.get("tz")
    if asked:
        return zone_or(asked, fallback)
    if user is not None:
        account = await identity.get_user(session, user.user_id)
        if account is not None:
            return zone_or(account.timezone, fallback)
    return fallback


def _service_id(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@router.get("/practitioners/{practitioner_id}")
async def profile(
    practitioner_id: uuid.UUID, request: Request, session: SessionDep, user: MaybePageUser
) -> Response:
    """The public profile (the owner and admins also see one that is not yet public)."""
    practitioner, services = await practitioners.get_practitioner_for(
        session, practitioner_id, user
    )
    rows, review_total = await reviews.list_for_practitioner(
        session, practitioner_id, PageParams(1, REVIEWS_SHOWN)
    )
    names = await identity.public_names(session, [r.seeker_id for r in rows])
    wanted = _service_id(request.query_params.get("service"))
    chosen = next((s for s in services if s.id == wanted), services[0] if services else None)
    zone = await visitor_zone(request, session, user, practitioner.timezone)
    grid = None
    public = practitioner.verification_status == "verified" and practitioner.is_active
    if chosen is not None and public:
        start = week_start(request.query_params.get("week"), zone)
        grid = await slot_grid(session, practitioner_id, chosen.id, zone, start)
    return render(
        request,
        "seeker/profile.html",
        {
            "p": practitioner,
            "services": services,
            "chosen": chosen,
            "grid": grid,
            "zones": sorted({*COMMON_ZONES, zone}),
            "reviews": [(r, names.get(r.seeker_id, "Former member")) for r in rows],
            "review_total": review_total,
        },
    )
