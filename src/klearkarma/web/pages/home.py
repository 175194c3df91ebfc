"""The home page: a search box, the modalities to browse, and featured practitioners."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from klearkarma.core import health
from klearkarma.core.db import SessionDep
from klearkarma.core.health import Index
from klearkarma.core.pagination import PageParams
from klearkarma.core.schemas import Envelope
from klearkarma.practitioners import service as practitioners
from klearkarma.practitioners.schemas import PractitionerSort
from klearkarma.web.pages import page_router
from klearkarma.web.rendering import render

router = page_router()
FEATURED = 6


@router.get("/", response_model=None)
async def home(request: Request, session: SessionDep) -> Response | Envelope[Index]:
    """Start here: search, browse by modality, or pick a top-rated practitioner.

    API clients (no ``text/html`` in ``Accept``) get the JSON index of the API instead.
    """
    if "text/html" not in request.headers.get("accept", ""):
        return await health.index()
    modalities = await practitioners.list_modalities(session)
    featured, _ = await practitioners.list_public_practitioners(
        session,
        practitioners.DirectoryFilters(sort=PractitionerSort.RATING),
        PageParams(page=1, limit=FEATURED),
    )
    return render(
        request,
        "seeker/home.html",
        {
            "modalities": [(m, n) for m, n in modalities if n > 0] or modalities,
            "featured": [p for p, _ in featured],
        },
    )
