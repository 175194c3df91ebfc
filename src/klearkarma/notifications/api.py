"""``/dev/mailbox`` and ``/dev/sms``: what a development instance would have sent.

``app.py`` mounts these routers only when ``env`` is development. For mail, browsers get a readable
page; API clients (``Accept: application/json``) get the envelope, which lets scripted journeys
pick up verification and reset links. Texts (phone codes) come as the envelope only.
"""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import NotFound
from klearkarma.core.pagination import PageDep
from klearkarma.core.schemas import Envelope, ok
from klearkarma.notifications import service
from klearkarma.notifications.models import DevMail
from klearkarma.notifications.schemas import DevMailOut, DevSmsOut

router = APIRouter(prefix="/dev/mailbox", tags=["development"])


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _page(messages: list[DevMail]) -> str:
    rows = "".join(
        f"<li><article><h2>{html.escape(m.subject)}</h2>"
        f"<p>To {html.escape(', '.join(m.recipients))} · "
        f"<time>{m.created_at:%Y-%m-%d %H:%M:%S %Z}</time></p>"
        f"<pre>{html.escape(m.text_body)}</pre></article></li>"
        for m in messages
    )
    body = rows or "<li>No messages yet.</li>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Dev mailbox · Klear Karma</title></head><body><main>"
        f"<h1>Dev mailbox</h1><p>Emails caught in development, newest first.</p><ol>{body}</ol>"
        "</main></body></html>"
    )


@router.get("", response_model=Envelope[list[DevMailOut]])
async def list_mail(
    request: Request,
    session: SessionDep,
    page: PageDep,
    to: Annotated[
        str | None, Query(max_length=320, description="only mail to this address")
    ] = None,
) -> Envelope[list[DevMailOut]] | HTMLResponse:
    """Caught emails, newest first."""
    messages, total = await service.list_dev_mail(
        session, recipient=to, offset=page.offset, limit=page.limit
    )
    if _wants_html(request):
        return HTMLResponse(_page(messages))
    return ok([DevMailOut.model_validate(m) for m in messages], page.pagination(total))


@router.get("/{mail_id}", response_model=Envelope[DevMailOut])
async def get_mail(mail_id: uuid.UUID, session: SessionDep) -> Envelope[DevMailOut]:
    """One caught email."""
    message = await service.get_dev_mail(session, mail_id)
    if message is None:
        raise NotFound("No such message.")
    return ok(DevMailOut.model_validate(message))


sms_router = APIRouter(prefix="/dev/sms", tags=["development"])


@sms_router.get("", response_model=Envelope[list[DevSmsOut]])
async def list_sms(
    session: SessionDep,
    page: PageDep,
    to: Annotated[str | None, Query(max_length=32, description="only texts to this number")] = None,
) -> Envelope[list[DevSmsOut]]:
    """Caught text messages, newest first; ``to`` takes the number in any common spelling."""
    messages, total = await service.list_dev_sms(
        session, recipient=to, offset=page.offset, limit=page.limit
    )
    return ok([DevSmsOut.model_validate(m) for m in messages], page.pagination(total))
