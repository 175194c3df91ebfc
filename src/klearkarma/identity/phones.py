"""Phone numbers as the API accepts them (E.164) and their verification by SMS code."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.errors import ValidationFailed
from klearkarma.identity import action_tokens, events
from klearkarma.identity.keys import IdentityKeys
from klearkarma.identity.models import TokenPurpose, User
from klearkarma.notifications.service import queue_sms
from klearkarma.notifications.sms import SmsMessage, normalize_phone

PHONE_CODE_TTL = timedelta(minutes=10)


def normalize_phone_field(raw: str, field: str = "phone") -> str:
    try:
        return normalize_phone(raw)
    except ValueError as exc:
        raise ValidationFailed([(field, str(exc))]) from exc


async def send_code(session: AsyncSession, keys: IdentityKeys, user: User) -> None:
    if not user.phone:
        raise ValidationFailed([("phone", "Add a phone number to your profile first.")])
    code = await action_tokens.issue(
        session,
        keys.token_hash,
        user_id=user.id,
        purpose=TokenPurpose.VERIFY_PHONE,
        ttl=PHONE_CODE_TTL,
        target=user.phone,
        numeric_code=True,
    )
    body = f"Your Klear Karma verification code is {code}. It expires in 10 minutes."
    await queue_sms(session, SmsMessage(to=user.phone, body=body))


async def verify_code(
    session: AsyncSession, keys: IdentityKeys, user: User, code: str, client: events.Client
) -> None:
    try:
        spent = await action_tokens.consume_code(
            session, keys.token_hash, user.id, code, TokenPurpose.VERIFY_PHONE
        )
    except action_tokens.TokenRejected as exc:
        # keep_changes: the wrong attempt must count even though the call fails.
        raise ValidationFailed([("code", "The code is wrong or has expired.")]) from exc
    if spent.target != user.phone:
        raise ValidationFailed([("code", "The phone number changed; ask for a new code.")])
    user.phone_verified = True
    await events.record(session, "phone_verified", user_id=user.id, client=client)
