"""API shapes of the notifications context."""

from __future__ import annotations

import uuid
from datetime import datetime

from klearkarma.core.schemas import ApiModel


class DevMailOut(ApiModel):
    id: uuid.UUID
    sender: str
    recipients: list[str]
    subject: str
    text_body: str
    html_body: str | None
    created_at: datetime


class DevSmsOut(ApiModel):
    id: uuid.UUID
    recipient: str
    body: str
    created_at: datetime
