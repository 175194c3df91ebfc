"""Receipt routes: a completed payment's receipt as an HTML page or a PDF download."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from klearkarma.core.db import SessionDep
from klearkarma.core.schemas import ERROR_RESPONSES
from klearkarma.identity.deps import CurrentPrincipal
from klearkarma.payments import receipts
from klearkarma.platform import platform_of

router = APIRouter(prefix="/v1/payments", tags=["payments"], responses=ERROR_RESPONSES)

# A receipt names a person and what they paid: never kept by shared caches.
PRIVATE = {"Cache-Control": "private, no-store"}


def html_response(receipt: receipts.Receipt) -> Response:
    """The printable page, under the CSP that admits only its own inline style."""
    page = receipts.render_html(receipt)
    return Response(
        page.html,
        media_type="text/html; charset=utf-8",
        headers={**PRIVATE, "Content-Security-Policy": page.content_security_policy},
    )


async def pdf_response(receipt: receipts.Receipt) -> Response:
    """The PDF download, rendered in a worker thread (it is CPU-bound, ~50 ms)."""
    body = await run_in_threadpool(receipts.render_pdf, receipt)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            **PRIVATE,
            "Content-Disposition": f'attachment; filename="{receipt.filename}"',
        },
    )


@router.get(
    "/{payment_id}/receipt",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The receipt page"}},
)
async def receipt_html(
    payment_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """The receipt of a completed payment, as a printable page (payer, practitioner or admin).

    404 when the payment is not the caller's or has not completed.
    """
    receipt = await receipts.build_receipt(
        session, platform_of(request).settings, principal, payment_id
    )
    return html_response(receipt)


@router.get(
    "/{payment_id}/receipt.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The receipt as PDF"}},
)
async def receipt_pdf(
    payment_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """The receipt of a completed payment, as a PDF download (payer, practitioner or admin)."""
    receipt = await receipts.build_receipt(
        session, platform_of(request).settings, principal, payment_id
    )
    return await pdf_response(receipt)
