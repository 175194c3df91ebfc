"""REST routes under /v1/users: profile, avatar, sessions, phone, consents, export, erasure."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import NotFound, ValidationFailed
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity import phones, privacy, sessions
from klearkarma.identity.deps import ClientDep, CurrentPrincipal, Require
from klearkarma.identity.keys import identity_keys
from klearkarma.identity.models import ConsentKind, User
from klearkarma.identity.passwords import verify_password
from klearkarma.identity.policy import Principal, can_access_user
from klearkarma.identity.profile import (
    AVATAR_MAX_BYTES,
    avatar_key_for,
    profile_out,
    replace_avatar,
    update_profile,
)
from klearkarma.identity.schemas import (
    ConsentRecordOut,
    ConsentsIn,
    ConsentsOut,
    EraseIn,
    MessageOut,
    PhoneCodeIn,
    ProfileIn,
    ProfileOut,
    SessionOut,
)
from klearkarma.platform import platform_of

router = APIRouter(prefix="/v1/users", tags=["users"], responses=ERROR_RESPONSES)
Writer = Annotated[Principal, Depends(Require("profile:write"))]
PrivacyPrincipal = Annotated[Principal, Depends(Require("privacy:manage"))]


async def _me(session: SessionDep, principal: Principal, *, lock: bool = False) -> User:
    user = await session.get(User, principal.user_id, with_for_update=lock)
    assert user is not None
    return user


@router.get("/profile", response_model=Envelope[ProfileOut])
async def get_profile(principal: CurrentPrincipal, session: SessionDep) -> Envelope[ProfileOut]:
    """The caller's own profile."""
    return ok(profile_out(await _me(session, principal)))


@router.put("/profile", response_model=Envelope[ProfileOut])
async def put_profile(
    body: ProfileIn, principal: Writer, session: SessionDep
) -> Envelope[ProfileOut]:
    """Update the fields sent (E.164 phone, IANA time zone, a date of birth in the past)."""
    user = await _me(session, principal, lock=True)
    update_profile(user, body)
    await session.flush()
    return ok(profile_out(user))


@router.post("/upload-avatar", response_model=Envelope[ProfileOut])
async def upload_avatar(
    request: Request,
    principal: Writer,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF, at most 5 MiB")],
) -> Envelope[ProfileOut]:
    """Replace the avatar: the image is checked by content, re-encoded without metadata."""
    data = await file.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise ValidationFailed([("file", "The image is larger than 5 MiB.")])
    user = await _me(session, principal, lock=True)
    await replace_avatar(session, platform_of(request).storage, user, data)
    return ok(profile_out(user))


@router.get("/{user_id}/avatar", responses={200: {"content": {"image/jpeg": {}}}})
async def get_avatar(
    user_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    size: Annotated[str, Query(pattern="^(full|thumbnail)$")] = "full",
) -> Response:
    """A user's avatar image (public: it appears beside reviews and profiles)."""
    user = await session.get(User, user_id)
    found = avatar_key_for(user, size) if user is not None and user.deleted_at is None else None
    if found is None:
        raise NotFound("No avatar.")
    key, media_type = found
    try:
        data = await platform_of(request).storage.read(key)
    except FileNotFoundError as exc:
        raise NotFound("No avatar.") from exc
    return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/sessions", response_model=Envelope[list[SessionOut]])
async def list_sessions(
    principal: CurrentPrincipal, session: SessionDep
) -> Envelope[list[SessionOut]]:
    """The caller's open sessions (devices)."""
    rows = await sessions.list_sessions(session, principal.user_id)
    return ok(
        [
            SessionOut.model_validate(row).model_copy(
                update={"current": row.id == principal.session_id}
            )
            for row in rows
        ]
    )


@router.delete("/sessions/{session_id}", response_model=Envelope[MessageOut])
async def end_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[MessageOut]:
    """Sign one of the caller's devices out."""
    owned = {row.id for row in await sessions.list_sessions(session, principal.user_id)}
    if session_id not in owned:
        raise NotFound("Session not found.")
    await sessions.revoke(session, session_id, "ended_by_user")
    return ok(MessageOut(message="Session ended."))


@router.post("/phone/send-code", response_model=Envelope[MessageOut])
async def send_phone_code(
    request: Request, principal: Writer, session: SessionDep
) -> Envelope[MessageOut]:
    """Text a six-digit code to the profile's phone number."""
    user = await _me(session, principal, lock=True)
    await phones.send_code(session, identity_keys(platform_of(request).settings), user)
    return ok(MessageOut(message="We have sent a code to your phone."))


@router.post("/phone/verify", response_model=Envelope[ProfileOut])
async def verify_phone(
    body: PhoneCodeIn, request: Request, principal: Writer, session: SessionDep, client: ClientDep
) -> Envelope[ProfileOut]:
    """Confirm the phone number with the texted code (five wrong tries burn the code)."""
    user = await _me(session, principal, lock=True)
    keys = identity_keys(platform_of(request).settings)
    try:
        await phones.verify_code(session, keys, user, body.code, client)
    except ValidationFailed as exc:
        exc.keep_changes = True  # the failed attempt counts
        raise
    return ok(profile_out(user))


@router.get("/consents", response_model=Envelope[ConsentsOut])
async def get_consents(principal: PrivacyPrincipal, session: SessionDep) -> Envelope[ConsentsOut]:
    """Current consent decisions and their history."""
    current, history = await privacy.consents(session, principal.user_id)
    return ok(_consents_out(current, history))


@router.put("/consents", response_model=Envelope[ConsentsOut])
async def put_consents(
    body: ConsentsIn, principal: PrivacyPrincipal, session: SessionDep, client: ClientDep
) -> Envelope[ConsentsOut]:
    """Give or withdraw consents; each change is recorded with time and address."""
    decisions = {
        kind: value
        for kind, value in (
            (ConsentKind.MARKETING, body.marketing),
            (ConsentKind.ANALYTICS, body.analytics),
            (ConsentKind.HEALTH_DATA_SHARING, body.health_data_sharing),
        )
        if value is not None
    }
    await privacy.set_consents(session, principal.user_id, decisions, client.ip)
    current, history = await privacy.consents(session, principal.user_id)
    return ok(_consents_out(current, history))


def _consents_out(current: dict[str, bool], history: list[Any]) -> ConsentsOut:
    camel = {
        "marketing": "marketing",
        "analytics": "analytics",
        "health_data_sharing": "healthDataSharing",
    }
    return ConsentsOut(
        current={camel[k]: v for k, v in current.items()},
        history=[ConsentRecordOut.model_validate(record) for record in history],
    )


@router.get("/export")
async def export(principal: PrivacyPrincipal, session: SessionDep) -> JSONResponse:
    """Everything we hold about the caller, as one JSON document (GDPR art. 15 and 20)."""
    user = await _me(session, principal)
    data = await privacy.export_everything(session, user)
    body = ok(data).model_dump(mode="json", by_alias=True)
    return JSONResponse(
        body, headers={"Content-Disposition": 'attachment; filename="klearkarma-export.json"'}
    )


@router.delete("/account", response_model=Envelope[MessageOut])
async def erase_account(
    body: EraseIn,
    request: Request,
    principal: PrivacyPrincipal,
    session: SessionDep,
    client: ClientDep,
) -> Envelope[MessageOut]:
    """Erase the caller's account and personal data; payment records stay, anonymised."""
    user = await _me(session, principal, lock=True)
    if user.password_hash and not (
        body.password and verify_password(body.password, user.password_hash)
    ):
        raise ValidationFailed([("password", "Enter your current password to confirm.")])
    platform = platform_of(request)
    await privacy.erase_account(session, platform.storage, platform.cache, user, client)
    return ok(MessageOut(message="Your account and personal data have been erased."))


@router.get("/{user_id}", response_model=Envelope[ProfileOut])
async def get_user(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Envelope[ProfileOut]:
    """One account: the caller's own, or any for an admin; anyone else gets 404."""
    user = await session.get(User, user_id)
    if user is None or not can_access_user(principal, user_id):
        raise NotFound("User not found.")
    return ok(profile_out(user))
