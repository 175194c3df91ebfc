"""REST routes under /v1/auth: registration, login, tokens, passwords, 2FA, social sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status

from klearkarma.core.db import SessionDep
from klearkarma.core.schemas import ERROR_RESPONSES, Envelope, ok
from klearkarma.identity import accounts, events, mfa, sessions, social
from klearkarma.identity.deps import ClientDep, CurrentPrincipal, Require
from klearkarma.identity.keys import identity_keys
from klearkarma.identity.models import User, UserType
from klearkarma.identity.policy import Principal
from klearkarma.identity.schemas import (
    AuthOut,
    ChangePasswordIn,
    ForgotPasswordIn,
    LoginIn,
    LogoutIn,
    MessageOut,
    MfaSetupOut,
    NonceOut,
    OAuthIn,
    OtpIn,
    RecoveryCodesOut,
    RefreshIn,
    RegisterIn,
    ResetPasswordIn,
    TokenIn,
    Tokens,
    TokensOut,
    UserOut,
)
from klearkarma.platform import platform_of

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)

FORGOT_PASSWORD_ANSWER = "If an account uses this address, we have sent it a reset link."  # noqa: S105


async def context(request: Request, client: ClientDep) -> accounts.Context:
    platform = platform_of(request)
    return accounts.Context(
        settings=platform.settings,
        keys=identity_keys(platform.settings),
        cache=platform.cache,
        client=client,
    )


ContextDep = Annotated[accounts.Context, Depends(context)]
MfaPrincipal = Annotated[Principal, Depends(Require("auth:mfa"))]


def auth_out(user: User, issued: sessions.IssuedTokens) -> AuthOut:
    return AuthOut(
        user=UserOut.model_validate(user),
        tokens=tokens_out(issued),
        mfa_setup_required="admin:access" not in issued.permissions
        and user.user_type is UserType.ADMIN,
    )


def tokens_out(issued: sessions.IssuedTokens) -> Tokens:
    return Tokens(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


async def _user(session: SessionDep, principal: Principal) -> User:
    user = await session.get(User, principal.user_id, with_for_update=True)
    assert user is not None  # authenticate() just read it
    return user


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=Envelope[AuthOut])
async def register(body: RegisterIn, session: SessionDep, ctx: ContextDep) -> Envelope[AuthOut]:
    """Create a seeker or practitioner account and sign it in; a verification email follows."""
    user, issued = await accounts.register(
        session,
        ctx,
        email=str(body.email),
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        user_type=UserType(body.user_type),
        phone=body.phone,
    )
    return ok(auth_out(user, issued))


@router.post("/login", response_model=Envelope[AuthOut])
async def login(body: LoginIn, session: SessionDep, ctx: ContextDep) -> Envelope[AuthOut]:
    """Sign in with email and password (and the 2FA code when two-factor is on)."""
    user, issued = await accounts.login(
        session, ctx, email=str(body.email), password=body.password, otp=body.otp
    )
    return ok(auth_out(user, issued))


@router.post("/refresh", response_model=Envelope[TokensOut])
async def refresh(body: RefreshIn, session: SessionDep, ctx: ContextDep) -> Envelope[TokensOut]:
    """Exchange a refresh token for a new pair; the old refresh token is spent."""
    _, issued = await sessions.rotate(
        session, ctx.keys, ctx.settings, body.refresh_token, ctx.client
    )
    return ok(TokensOut(tokens=tokens_out(issued)))


@router.post("/logout", response_model=Envelope[MessageOut])
async def logout(
    body: LogoutIn, principal: CurrentPrincipal, session: SessionDep, ctx: ContextDep
) -> Envelope[MessageOut]:
    """End this session: its access and refresh tokens stop working at once."""
    await sessions.revoke(session, principal.session_id, "logout")
    if body.refresh_token:
        other = await sessions.session_of_refresh_token(session, ctx.keys, body.refresh_token)
        if other is not None and other != principal.session_id:
            owned = {s.id for s in await sessions.list_sessions(session, principal.user_id)}
            if other in owned:
                await sessions.revoke(session, other, "logout")
    await events.record(session, "logout", user_id=principal.user_id, client=ctx.client)
    return ok(MessageOut(message="Signed out."))


@router.post(
    "/forgot-password", status_code=status.HTTP_202_ACCEPTED, response_model=Envelope[MessageOut]
)
async def forgot_password(
    body: ForgotPasswordIn, session: SessionDep, ctx: ContextDep
) -> Envelope[MessageOut]:
    """Send a reset link if the account exists; the answer is the same either way."""
    await accounts.request_password_reset(session, ctx, str(body.email))
    return ok(MessageOut(message=FORGOT_PASSWORD_ANSWER))


@router.post("/reset-password", response_model=Envelope[MessageOut])
async def reset_password(
    body: ResetPasswordIn, session: SessionDep, ctx: ContextDep
) -> Envelope[MessageOut]:
    """Set a new password with the emailed token; every session of the account ends."""
    await accounts.reset_password(session, ctx, body.token, body.new_password)
    return ok(MessageOut(message="Your password has been reset. Sign in with the new one."))


@router.post("/change-password", response_model=Envelope[MessageOut])
async def change_password(
    body: ChangePasswordIn, principal: CurrentPrincipal, session: SessionDep, ctx: ContextDep
) -> Envelope[MessageOut]:
    """Change the password; other sessions end, this one stays signed in."""
    user = await _user(session, principal)
    await accounts.change_password(
        session, ctx, user, body.current_password, body.new_password, principal.session_id
    )
    return ok(MessageOut(message="Password changed."))


@router.post("/verify-email", response_model=Envelope[UserOut])
async def verify_email(body: TokenIn, session: SessionDep, ctx: ContextDep) -> Envelope[UserOut]:
    """Confirm an email address with the token from the verification email."""
    user = await accounts.verify_email(session, ctx, body.token)
    return ok(UserOut.model_validate(user))


@router.post("/resend-verification", response_model=Envelope[MessageOut])
async def resend_verification(
    principal: CurrentPrincipal, session: SessionDep, ctx: ContextDep
) -> Envelope[MessageOut]:
    """Send a fresh verification email (the previous link stops working)."""
    user = await _user(session, principal)
    if user.email_verified:
        return ok(MessageOut(message="Your email address is already verified."))
    await accounts.send_verification(session, ctx, user)
    return ok(MessageOut(message="Verification email sent."))


@router.post("/2fa/setup", response_model=Envelope[MfaSetupOut])
async def mfa_setup(
    principal: MfaPrincipal, session: SessionDep, ctx: ContextDep
) -> Envelope[MfaSetupOut]:
    """Start two-factor enrolment: add the secret to an authenticator app, then enable."""
    user = await _user(session, principal)
    secret, uri = mfa.begin_setup(ctx.keys, user)
    return ok(MfaSetupOut(secret=secret, otpauth_uri=uri))


@router.post("/2fa/enable", response_model=Envelope[RecoveryCodesOut])
async def mfa_enable(
    body: OtpIn, principal: MfaPrincipal, session: SessionDep, ctx: ContextDep
) -> Envelope[RecoveryCodesOut]:
    """Turn two-factor on with a first code; keep the recovery codes somewhere safe."""
    user = await _user(session, principal)
    codes = await mfa.enable(session, ctx.keys, user, body.otp)
    await events.record(session, "mfa_enabled", user_id=user.id, client=ctx.client)
    return ok(RecoveryCodesOut(recovery_codes=codes))


@router.post("/2fa/disable", response_model=Envelope[MessageOut])
async def mfa_disable(
    body: OtpIn, principal: MfaPrincipal, session: SessionDep, ctx: ContextDep
) -> Envelope[MessageOut]:
    """Turn two-factor off with a current code or a recovery code (not allowed for admins)."""
    user = await _user(session, principal)
    await mfa.disable(session, ctx.keys, user, body.otp)
    await events.record(session, "mfa_disabled", user_id=user.id, client=ctx.client)
    return ok(MessageOut(message="Two-factor authentication is off."))


@router.post("/oauth/nonce", response_model=Envelope[NonceOut])
async def oauth_nonce(ctx: ContextDep) -> Envelope[NonceOut]:
    """A single-use nonce to put in the provider's authorization request."""
    return ok(NonceOut(nonce=await social.issue_nonce(ctx), expires_in=social.NONCE_TTL_SECONDS))


@router.post("/oauth/{provider}", response_model=Envelope[AuthOut])
async def oauth_login(
    body: OAuthIn,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    provider: Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,32}$")],
) -> Envelope[AuthOut]:
    """Sign in with a provider's ID token (Google, Facebook, or a configured OIDC issuer)."""
    platform = platform_of(request)
    user, issued = await social.login(
        session,
        ctx,
        platform.oidc,
        provider=provider,
        id_token=body.id_token,
        nonce=body.nonce,
        otp=body.otp,
        user_type=UserType(body.user_type),
    )
    return ok(auth_out(user, issued))
