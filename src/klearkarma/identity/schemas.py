"""API shapes of the identity context."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import EmailStr, Field

from klearkarma.core.schemas import ApiInput, ApiModel
from klearkarma.identity.models import ConsentKind, UserStatus, UserType

Password = Field(min_length=1, max_length=256)
Name = Field(min_length=1, max_length=100)


class RegisterIn(ApiInput):
    email: EmailStr
    password: str = Password
    first_name: str = Name
    last_name: str = Name
    user_type: Literal["seeker", "practitioner"]
    phone: str | None = Field(None, max_length=32)


class LoginIn(ApiInput):
    email: EmailStr
    password: str = Password
    otp: str | None = Field(None, max_length=32)


class RefreshIn(ApiInput):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutIn(ApiInput):
    refresh_token: str | None = Field(None, max_length=512)


class ForgotPasswordIn(ApiInput):
    email: EmailStr


class ResetPasswordIn(ApiInput):
    token: str = Field(min_length=1, max_length=512)
    new_password: str = Password


class ChangePasswordIn(ApiInput):
    current_password: str = Password
    new_password: str = Password


class TokenIn(ApiInput):
    token: str = Field(min_length=1, max_length=512)


class OtpIn(ApiInput):
    otp: str = Field(min_length=6, max_length=32)


class OAuthIn(ApiInput):
    id_token: str = Field(min_length=1, max_length=8192)
    nonce: str | None = Field(None, max_length=256)
    otp: str | None = Field(None, max_length=32)
    user_type: Literal["seeker", "practitioner"] = "seeker"  # for a new account


class Tokens(ApiModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    expires_in: int


class UserOut(ApiModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    user_type: UserType
    status: UserStatus
    email_verified: bool
    phone_verified: bool
    mfa_enabled: bool
    created_at: datetime


class AuthOut(ApiModel):
    user: UserOut
    tokens: Tokens
    mfa_setup_required: bool = False


class TokensOut(ApiModel):
    tokens: Tokens


class MessageOut(ApiModel):
    message: str


class MfaSetupOut(ApiModel):
    secret: str
    otpauth_uri: str


class RecoveryCodesOut(ApiModel):
    recovery_codes: list[str]


class NonceOut(ApiModel):
    nonce: str
    expires_in: int


class ProfileOut(UserOut):
    phone: str | None
    date_of_birth: date | None
    gender: str | None
    timezone: str
    locale: str
    avatar_url: str | None
    thumbnail_url: str | None
    last_login_at: datetime | None


Gender = Literal["female", "male", "non_binary", "other", "prefer_not_to_say"]


class ProfileIn(ApiInput):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=32)
    date_of_birth: date | None = None
    gender: Gender | None = None
    timezone: str | None = Field(None, max_length=64)
    locale: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")


class PhoneCodeIn(ApiInput):
    code: str = Field(pattern=r"^\d{6}$")


class SessionOut(ApiModel):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    provider: str
    current: bool = False


class ConsentsIn(ApiInput):
    marketing: bool | None = None
    analytics: bool | None = None
    health_data_sharing: bool | None = None


class ConsentRecordOut(ApiModel):
    kind: ConsentKind
    granted: bool
    created_at: datetime


class ConsentsOut(ApiModel):
    current: dict[str, bool]
    history: list[ConsentRecordOut]


class EraseIn(ApiInput):
    password: str | None = Field(None, max_length=256)
    confirm: Literal["DELETE"]


class SecurityEventOut(ApiModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    event_type: str
    ip: str | None
    user_agent: str | None
    risk_score: float
    flagged: bool
    details: dict[str, object]
    created_at: datetime


class SuspendIn(ApiInput):
    reason: str = Field(min_length=3, max_length=500)
