"""Admin routes of the practitioners context: the verification queue and decisions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import NotFound
from klearkarma.core.pagination import PageDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity.deps import AdminPrincipal
from klearkarma.platform import platform_of
from klearkarma.practitioners import manage, verification
from klearkarma.practitioners.api import summary
from klearkarma.practitioners.models import Practitioner, VerificationStatus
from klearkarma.practitioners.schemas import (
    DocumentOut,
    QueueItemOut,
    VerificationIn,
    VerificationOut,
)

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERROR_RESPONSES)


@router.get("/verification-queue", response_model=Envelope[list[QueueItemOut]])
async def verification_queue(
    admin: AdminPrincipal, session: SessionDep, page: PageDep
) -> Envelope[list[QueueItemOut]]:
    """Practitioners waiting for verification, oldest first, with their documents."""
    rows, total = await verification.queue(session, page)
    items = [
        QueueItemOut(
            practitioner=summary(p),
            submitted_at=p.created_at,
            documents=[
                DocumentOut.model_validate(d) for d in await manage.list_documents(session, p.id)
            ],
        )
        for p in rows
    ]
    return ok(items, page.pagination(total))


@router.post(
    "/practitioners/{practitioner_id}/verification", response_model=Envelope[VerificationOut]
)
async def decide(
    practitioner_id: uuid.UUID,
    body: VerificationIn,
    request: Request,
    admin: AdminPrincipal,
    session: SessionDep,
) -> Envelope[VerificationOut]:
    """Verify or reject a practitioner; the decision is kept and the practitioner emailed."""
    practitioner = await session.get(Practitioner, practitioner_id, with_for_update=True)
    if practitioner is None:
        raise NotFound("Practitioner not found.")
    record = await verification.decide(
        session,
        platform_of(request).cache,
        admin_id=admin.user_id,
        practitioner=practitioner,
        decision=VerificationStatus(body.decision),
        reason=body.reason,
    )
    return ok(VerificationOut.model_validate(record))
