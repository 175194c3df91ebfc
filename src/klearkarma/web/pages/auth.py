"""Signing in and out: sign-up, login (with the two-factor step), password reset, email check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from klearkarma.core.db import SessionDep
from klearkarma.core.errors import AppError
from klearkarma.identity import accounts, events, sessions, web_sessions
from klearkarma.identity.errors import MfaRequired
from klearkarma.identity.models import UserType
from klearkarma.identity.profile import update_profile
from klearkarma.identity.schemas import ForgotPasswordIn, LoginIn, ProfileIn, RegisterIn
from klearkarma.web.forms import FormErrors, refusable
from klearkarma.web.pages import page_router
from klearkarma.web.rendering import redirect, render
from klearkarma.web.services import account_context
from klearkarma.web.session import (
    MaybePageUser,
    PageUser,
    end_cookie_session,
    safe_next,
    start_cookie_session,
)
from klearkarma.web.slots import ZONES

router = page_router()

Text = Annotated[str, Form(max_length=1000)]
Secret = Annotated[str, Form(max_length=256)]
FORGOT_ANSWER = (
    "If an account uses that address, we have emailed it a link to choose a new password. "
    "The link works for one hour."
)


def _signed_in(
    request: Request, issued: sessions.IssuedTokens, next_url: str, notice: str
) -> Response:
    ctx = account_context(request)
    response = redirect(request, safe_next(next_url), notice)
    start_cookie_session(request, response, web_sessions.session_of(ctx.keys.signer, issued))
    return response


@router.get("/login")
async def login_page(
    request: Request, user: MaybePageUser, next: Annotated[str, Query(max_length=2000)] = "/"
) -> Response:
    """The sign-in form (a signed-in visitor goes straight on)."""
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "auth/login.html", {"next": safe_next(next), "values": {}})


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    email: Text = "",
    password: Secret = "",
    next: Text = "/",
) -> Response:
    """Check the password; with two-factor on, continue to the code step."""
    values = {"email": email}
    ctx = account_context(request)
    try:
        async with refusable(session):
            body = LoginIn(email=email, password=password)
            _, issued = await accounts.login(
                session, ctx, email=str(body.email), password=body.password, otp=None
            )
    except MfaRequired:
        ticket = await web_sessions.issue_mfa_ticket(ctx, email)
        return render(request, "auth/otp.html", {"ticket": ticket, "next": safe_next(next)})
    except (AppError, ValidationError) as exc:
        errors = FormErrors.of(exc)
        if isinstance(exc, ValidationError):
            errors = FormErrors(summary="Enter your email address and password.")
        status = exc.status_code if isinstance(exc, AppError) else 422
        return render(
            request,
            "auth/login.html",
            {"next": safe_next(next), "values": values, "errors": errors},
            status_code=status,
        )
    return _signed_in(request, issued, next, "Welcome back. You are signed in.")


@router.post("/login/otp")
async def login_otp(
    request: Request,
    session: SessionDep,
    ticket: Secret = "",
    otp: Annotated[str, Form(max_length=32)] = "",
    next: Text = "/",
) -> Response:
    """The code step of a two-factor sign-in."""
    try:
        async with refusable(session):
            _, issued = await web_sessions.finish_mfa_login(
                session, account_context(request), ticket, otp.strip()
            )
    except AppError as exc:
        errors = FormErrors(fields={"otp": exc.message}, summary=exc.message)
        return render(
            request,
            "auth/otp.html",
            {"ticket": ticket, "next": safe_next(next), "errors": errors},
            status_code=exc.status_code,
        )
    return _signed_in(request, issued, next, "Welcome back. You are signed in.")


@router.post("/logout")
async def logout(request: Request, session: SessionDep, user: PageUser) -> Response:
    """End this browser's session (the row is revoked, not just the cookie dropped)."""
    await sessions.revoke(session, user.session_id, "logout")
    await events.record(
        session, "logout", user_id=user.user_id, client=account_context(request).client
    )
    response = redirect(request, "/", "You have signed out.", "info")
    end_cookie_session(request, response)
    return response


@router.get("/signup")
async def signup_page(
    request: Request,
    user: MaybePageUser,
    next: Annotated[str, Query(max_length=2000)] = "/",
    role: Annotated[str, Query(pattern="^(seeker|practitioner)$")] = "seeker",
) -> Response:
    """Create an account: seekers book sessions, practitioners offer them."""
    if user is not None:
        return redirect(request, safe_next(next))
    return render(
        request, "auth/signup.html", {"next": safe_next(next), "values": {"user_type": role}}
    )


@router.post("/signup")
async def signup(
    request: Request,
    session: SessionDep,
    first_name: Text = "",
    last_name: Text = "",
    email: Text = "",
    password: Secret = "",
    user_type: Annotated[str, Form(max_length=20)] = "seeker",
    timezone: Annotated[str, Form(max_length=64)] = "",
    next: Text = "/",
) -> Response:
    """Register, sign in, and send the email-verification link.

    The browser's time zone (filled in by app.js) becomes the account's, so times read right from
    the first page; without JavaScript the default zone stays and can be changed in settings.
    """
    values = {"first_name": first_name, "last_name": last_name, "email": email}
    values["user_type"] = user_type if user_type in ("seeker", "practitioner") else "seeker"
    try:
        async with refusable(session):
            body = RegisterIn.model_validate(
                {
                    "email": email.strip(),
                    "password": password,
                    "firstName": first_name.strip(),
                    "lastName": last_name.strip(),
                    "userType": values["user_type"],
                }
            )
            user, issued = await accounts.register(
                session,
                account_context(request),
                email=str(body.email),
                password=body.password,
                first_name=body.first_name,
                last_name=body.last_name,
                user_type=UserType(body.user_type),
                phone=None,
            )
            if timezone in ZONES:
                update_profile(user, ProfileIn(timezone=timezone))
    except (AppError, ValidationError) as exc:
        errors = FormErrors.of(exc)
        if isinstance(exc, AppError) and exc.status_code == 409:
            errors.add("email", "An account already uses this email. Sign in instead?")
        status = exc.status_code if isinstance(exc, AppError) else 422
        return render(
            request,
            "auth/signup.html",
            {"next": safe_next(next), "values": values, "errors": errors},
            status_code=status,
        )
    return _signed_in(
        request,
        issued,
        next,
        "Welcome to Klear Karma! We have emailed you a link to confirm your address.",
    )


@router.get("/forgot-password")
async def forgot_page(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"values": {}})


@router.post("/forgot-password")
async def forgot(request: Request, session: SessionDep, email: Text = "") -> Response:
    """Email a reset link when the account exists; the answer is the same either way."""
    try:
        body = ForgotPasswordIn(email=email.strip())
    except ValidationError:
        errors = FormErrors(
            fields={"email": "Enter an email address like name@example.com."},
            summary="Please correct the fields marked below.",
        )
        return render(
            request,
            "auth/forgot.html",
            {"values": {"email": email}, "errors": errors},
            status_code=422,
        )
    await accounts.request_password_reset(session, account_context(request), str(body.email))
    return redirect(request, "/login", FORGOT_ANSWER, "info")


@router.get("/reset-password")
async def reset_page(
    request: Request, token: Annotated[str, Query(max_length=512)] = ""
) -> Response:
    """The page the reset email links to."""
    return render(request, "auth/reset.html", {"token": token})


@router.post("/reset-password")
async def reset(
    request: Request, session: SessionDep, token: Secret = "", password: Secret = ""
) -> Response:
    """Set the new password; every session of the account ends, so sign in again."""
    try:
        async with refusable(session):
            await accounts.reset_password(session, account_context(request), token, password)
    except AppError as exc:
        errors = FormErrors.of(exc, aliases={"new_password": "password"})
        return render(
            request,
            "auth/reset.html",
            {"token": token, "errors": errors},
            status_code=exc.status_code,
        )
    response = redirect(request, "/login", "Your password has been changed. Please sign in.")
    end_cookie_session(request, response)
    return response


@router.get("/verify-email")
async def verify_page(
    request: Request, token: Annotated[str, Query(max_length=512)] = ""
) -> Response:
    """The page the verification email links to: one button confirms (a GET changes nothing,
    so mail scanners that open links cannot spend the token)."""
    return render(request, "auth/verify.html", {"token": token})


@router.post("/verify-email")
async def verify(request: Request, session: SessionDep, token: Secret = "") -> Response:
    try:
        async with refusable(session):
            await accounts.verify_email(session, account_context(request), token)
    except AppError as exc:
        return render(
            request,
            "auth/verify.html",
            {"token": token, "errors": FormErrors(summary=exc.message)},
            status_code=exc.status_code,
        )
    return redirect(request, "/", "Thank you, your email address is confirmed.")
