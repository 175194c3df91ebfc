"""Settings: profile and avatar, email verification, password, two-factor authentication,
consents, data export and account deletion — each a form posting to one identity use case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError, ValidationFailed
from klearkarma.core.schemas import ok
from klearkarma.identity import accounts, events, mfa, privacy
from klearkarma.identity.models import ConsentKind, User
from klearkarma.identity.passwords import verify_password
from klearkarma.identity.policy import Principal
from klearkarma.identity.profile import (
    AVATAR_MAX_BYTES,
    avatar_urls,
    replace_avatar,
    update_profile,
)
from klearkarma.identity.schemas import ProfileIn
from klearkarma.platform import platform_of
from klearkarma.web.forms import FormErrors, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.rendering import redirect, render
from klearkarma.web.services import account_context
from klearkarma.web.session import PageUser, end_cookie_session
from klearkarma.web.slots import COMMON_ZONES

router = page_router("/account")
Text = Annotated[str, Form(max_length=200)]
Secret = Annotated[str, Form(max_length=256)]
CONSENTS = (
    (ConsentKind.MARKETING, "News and offers by email", "At most twice a month."),
    (
        ConsentKind.ANALYTICS,
        "Help us improve with usage analytics",
        "Pages visited, never health data.",
    ),
    (
        ConsentKind.HEALTH_DATA_SHARING,
        "Share my health notes with practitioners I book",
        "Intake forms and notes, only with the practitioners of your bookings.",
    ),
)


async def _me(session: AsyncSession, user: Principal, *, lock: bool = False) -> User:
    account = await session.get(User, user.user_id, with_for_update=lock)
    assert account is not None  # the session lookup just read it
    return account


async def _profile_page(
    request: Request, session: AsyncSession, user: Principal, **extra: Any
) -> Response:
    account = await _me(session, user)
    status_code = int(extra.pop("status_code", 200))
    values = extra.pop("values", None) or {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "phone": account.phone or "",
        "timezone": account.timezone,
    }
    return render(
        request,
        "account/profile.html",
        {
            "account": account,
            "avatar": avatar_urls(account)[1],
            "values": values,
            "zones": sorted({*COMMON_ZONES, account.timezone}),
            "section": "profile",
            **extra,
        },
        status_code=status_code,
    )


@router.get("")
async def profile_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Your name, phone, time zone and photo."""
    return await _profile_page(request, session, user)


@router.post("/profile")
async def save_profile(
    request: Request,
    session: SessionDep,
    user: PageUser,
    first_name: Text = "",
    last_name: Text = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "timezone": timezone,
    }
    try:
        async with refusable(session):
            changes = ProfileIn.model_validate(
                {
                    "firstName": first_name.strip() or None,
                    "lastName": last_name.strip() or None,
                    "phone": phone.strip() or None,
                    "timezone": timezone.strip() or None,
                }
            )
            account = await _me(session, user, lock=True)
            update_profile(account, changes)
            await session.flush()
    except (AppError, ValidationError) as exc:
        return await _profile_page(
            request,
            session,
            user,
            values=values,
            errors=FormErrors.of(exc),
            status_code=exc.status_code if isinstance(exc, AppError) else 422,
        )
    return redirect(request, "/account", "Your profile is saved.")


@router.post("/avatar")
async def upload_avatar(
    request: Request,
    session: SessionDep,
    user: PageUser,
    avatar: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A new photo: checked by content, re-encoded without metadata, resized."""
    data = await avatar.read(AVATAR_MAX_BYTES + 1) if avatar is not None else b""
    try:
        async with refusable(session):
            if not data:
                raise ValidationFailed([("avatar", "Choose an image to upload.")])
            if len(data) > AVATAR_MAX_BYTES:
                raise ValidationFailed([("avatar", "The image is larger than 5 MB.")])
            account = await _me(session, user, lock=True)
            await replace_avatar(session, platform_of(request).storage, account, data)
    except AppError as exc:
        errors = FormErrors.of(exc, aliases={"file": "avatar"})
        return await _profile_page(request, session, user, avatar_errors=errors, status_code=422)
    return redirect(request, "/account", "Your photo is updated.")


@router.post("/verify-email")
async def resend_verification(request: Request, session: SessionDep, user: PageUser) -> Response:
    account = await _me(session, user, lock=True)
    if account.email_verified:
        return redirect(request, "/account", "Your email address is already confirmed.", "info")
    await accounts.send_verification(session, account_context(request), account)
    return redirect(request, "/account", f"We have sent a new link to {account.email}.", "info")


# Security: password and two-factor authentication.


async def _security_page(
    request: Request, session: AsyncSession, user: Principal, **extra: Any
) -> Response:
    status_code = int(extra.pop("status_code", 200))
    return render(
        request,
        "account/security.html",
        {"account": await _me(session, user), "section": "security", **extra},
        status_code=status_code,
    )


@router.get("/security")
async def security_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    return await _security_page(request, session, user)


@router.post("/password")
async def change_password(
    request: Request,
    session: SessionDep,
    user: PageUser,
    current_password: Secret = "",
    new_password: Secret = "",
) -> Response:
    """Change the password; other devices are signed out, this one stays."""
    try:
        async with refusable(session):
            account = await _me(session, user, lock=True)
            await accounts.change_password(
                session,
                account_context(request),
                account,
                current_password,
                new_password,
                user.session_id,
            )
    except AppError as exc:
        errors = FormErrors.of(exc, aliases={"password": "new_password"})
        return await _security_page(
            request, session, user, password_errors=errors, status_code=exc.status_code
        )
    return redirect(
        request, "/account/security", "Password changed. Other devices have been signed out."
    )


@router.post("/2fa/setup")
async def mfa_setup(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Start enrolment: show the secret to add to an authenticator app."""
    try:
        async with refusable(session):
            account = await _me(session, user, lock=True)
            secret, uri = mfa.begin_setup(account_context(request).keys, account)
    except AppError as exc:
        return redirect(request, "/account/security", exc.message, "error")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return await _security_page(request, session, user, setup={"secret": grouped, "uri": uri})


@router.post("/2fa/enable")
async def mfa_enable(
    request: Request,
    session: SessionDep,
    user: PageUser,
    otp: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Turn two-factor on with a first code; show the recovery codes once."""
    ctx = account_context(request)
    try:
        async with refusable(session):
            account = await _me(session, user, lock=True)
            codes = await mfa.enable(session, ctx.keys, account, otp.strip().replace(" ", ""))
            await events.record(session, "mfa_enabled", user_id=account.id, client=ctx.client)
    except AppError as exc:
        errors = FormErrors.of(exc)
        setup = None
        if exc.status_code == 422:  # a wrong code: keep the same secret on screen
            account = await _me(session, user)
            if account.mfa_secret_encrypted:
                secret = ctx.keys.cipher.decrypt(
                    account.mfa_secret_encrypted, context=f"totp:{account.id}"
                )
                grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
                setup = {"secret": grouped, "uri": None}
        return await _security_page(
            request, session, user, setup=setup, mfa_errors=errors, status_code=exc.status_code
        )
    return await _security_page(request, session, user, recovery_codes=codes)


@router.post("/2fa/disable")
async def mfa_disable(
    request: Request,
    session: SessionDep,
    user: PageUser,
    otp: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    ctx = account_context(request)
    try:
        async with refusable(session):
            account = await _me(session, user, lock=True)
            await mfa.disable(session, ctx.keys, account, otp.strip())
            await events.record(session, "mfa_disabled", user_id=account.id, client=ctx.client)
    except AppError as exc:
        return await _security_page(
            request, session, user, disable_errors=FormErrors.of(exc), status_code=exc.status_code
        )
    return redirect(request, "/account/security", "Two-factor authentication is off.", "info")


# Privacy: consents, export, erasure.


@router.get("/privacy")
async def privacy_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    current, history = await privacy.consents(session, user.user_id)
    return render(
        request,
        "account/privacy.html",
        {
            "account": await _me(session, user),
            "consents": [
                (kind.value, label, hint, current[kind.value]) for kind, label, hint in CONSENTS
            ],
            "history": history[:10],
            "section": "privacy",
        },
    )


@router.post("/consents")
async def save_consents(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Record each changed consent (with time and address); unchanged ones add nothing."""
    form = await request.form()
    decisions = {kind: form.get(kind.value) == "on" for kind, _, _ in CONSENTS}
    await privacy.set_consents(session, user.user_id, decisions, account_context(request).client.ip)
    return redirect(request, "/account/privacy", "Your choices are saved.")


@router.get("/export")
async def export(session: SessionDep, user: PageUser) -> JSONResponse:
    """Everything we hold about you, as one JSON file."""
    data = await privacy.export_everything(session, await _me(session, user))
    return JSONResponse(
        ok(data).model_dump(mode="json", by_alias=True),
        headers={
            "Content-Disposition": 'attachment; filename="klearkarma-export.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/delete")
async def delete_account(
    request: Request,
    session: SessionDep,
    user: PageUser,
    password: Secret = "",
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Erase the account and personal data; bookings and payments stay, anonymised."""
    account = await _me(session, user, lock=True)
    errors = FormErrors()
    if confirm.strip() != "DELETE":
        errors.add("confirm", "Type DELETE in capitals to confirm.")
    if account.password_hash and not (
        password and verify_password(password, account.password_hash)
    ):
        errors.add("password", "Enter your current password to confirm.")
    if errors:
        errors.summary = "Your account was not deleted."
        current, history = await privacy.consents(session, user.user_id)
        return render(
            request,
            "account/privacy.html",
            {
                "account": account,
                "consents": [
                    (kind.value, label, hint, current[kind.value]) for kind, label, hint in CONSENTS
                ],
                "history": history[:10],
                "section": "privacy",
                "delete_errors": errors,
            },
            status_code=422,
        )
    platform = platform_of(request)
    await privacy.erase_account(
        session, platform.storage, platform.cache, account, account_context(request).client
    )
    response = redirect(
        request, "/", "Your account and personal data have been erased. Goodbye.", "info"
    )
    end_cookie_session(request, response)
    return response
