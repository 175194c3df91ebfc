"""A user's own profile: read, update with validation, avatar."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from zoneinfo import available_timezones

import anyio
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.errors import ValidationFailed
from klearkarma.core.ids import uuid7
from klearkarma.core.storage import Storage
from klearkarma.identity.avatars import AvatarError, process_avatar
from klearkarma.identity.models import User
from klearkarma.identity.phones import normalize_phone_field
from klearkarma.identity.schemas import ProfileIn, ProfileOut, UserOut

OLDEST_BIRTH_YEAR = 1900
AVATAR_MAX_BYTES = 5 * 1024 * 1024
_TIMEZONES = frozenset(available_timezones())


def avatar_urls(user: User) -> tuple[str | None, str | None]:
    if not user.avatar_key:
        return None, None
    base = f"/v1/users/{user.id}/avatar"
    return base, f"{base}?size=thumbnail"


def profile_out(user: User) -> ProfileOut:
    avatar, thumbnail = avatar_urls(user)
    return ProfileOut(
        **UserOut.model_validate(user).model_dump(),
        phone=user.phone,
        date_of_birth=user.date_of_birth,
        gender=user.gender,
        timezone=user.timezone,
        locale=user.locale,
        avatar_url=avatar,
        thumbnail_url=thumbnail,
        last_login_at=user.last_login_at,
    )


def _check_birth_date(value: date) -> None:
    today = datetime.now(UTC).date()
    if value >= today:
        raise ValidationFailed([("dateOfBirth", "The date of birth must be in the past.")])
    if value.year < OLDEST_BIRTH_YEAR:
        raise ValidationFailed([("dateOfBirth", f"Use a year from {OLDEST_BIRTH_YEAR} on.")])


def update_profile(user: User, changes: ProfileIn) -> None:
    """Apply the fields that were sent; a changed phone number must be verified again."""
    sent = changes.model_fields_set
    errors: list[tuple[str, str]] = []
    if "timezone" in sent and changes.timezone is not None and changes.timezone not in _TIMEZONES:
        errors.append(("timezone", "Use an IANA time zone such as Asia/Kolkata."))
    if "date_of_birth" in sent and changes.date_of_birth is not None:
        try:
            _check_birth_date(changes.date_of_birth)
        except ValidationFailed as exc:
            errors.extend((d["field"], d["message"]) for d in exc.details)
    phone = user.phone
    if "phone" in sent:
        try:
            phone = normalize_phone_field(changes.phone) if changes.phone else None
        except ValidationFailed as exc:
            errors.extend((d["field"], d["message"]) for d in exc.details)
    for required in ("first_name", "last_name", "timezone", "locale"):
        if required in sent and getattr(changes, required) is None:
            errors.append((to_camel(required), "This field cannot be empty."))
    if errors:
        raise ValidationFailed(errors)
    for field in ("first_name", "last_name", "date_of_birth", "gender", "timezone", "locale"):
        if field in sent:
            setattr(user, field, getattr(changes, field))
    if "phone" in sent and phone != user.phone:
        user.phone = phone
        user.phone_verified = False


async def replace_avatar(session: AsyncSession, storage: Storage, user: User, data: bytes) -> None:
    try:
        # Decoding and resizing a large photo takes CPU for a while: keep it off the event loop.
        processed = await anyio.to_thread.run_sync(
            functools.partial(process_avatar, data, max_bytes=AVATAR_MAX_BYTES)
        )
    except AvatarError as exc:
        raise ValidationFailed([("file", str(exc))]) from exc
    old = user.avatar_key
    extension = "png" if processed.image.content_type == "image/png" else "jpg"
    key = f"avatars/{user.id}/{uuid7().hex}.{extension}"
    await storage.save(key, processed.image.data, processed.image.content_type)
    await storage.save(
        thumbnail_key(key), processed.thumbnail.data, processed.thumbnail.content_type
    )
    user.avatar_key = key
    await session.flush()
    if old:
        await delete_avatar_files(storage, old)


def thumbnail_key(key: str) -> str:
    stem, _, extension = key.rpartition(".")
    return f"{stem}-thumb.{extension}"


async def delete_avatar_files(storage: Storage, key: str) -> None:
    await storage.delete(key)
    await storage.delete(thumbnail_key(key))


def avatar_key_for(user: User, size: str) -> tuple[str, str] | None:
    if not user.avatar_key:
        return None
    key = thumbnail_key(user.avatar_key) if size == "thumbnail" else user.avatar_key
    media = "image/png" if key.endswith(".png") else "image/jpeg"
    return key, media
