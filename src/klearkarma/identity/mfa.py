"""Two-factor authentication with TOTP (RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.crypto import keyed_hash
from klearkarma.core.errors import Conflict, Forbidden, ValidationFailed
from klearkarma.identity.keys import IdentityKeys
from klearkarma.identity.models import RecoveryCode, User, UserType

ISSUER_NAME = "Klear Karma"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def _secret(keys: IdentityKeys, user: User) -> str | None:
    if user.mfa_secret_encrypted is None:
        return None
    return keys.cipher.decrypt(user.mfa_secret_encrypted, context=f"totp:{user.id}")


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalize_recovery(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


def _accept_totp(keys: IdentityKeys, user: User, code: str) -> bool:
    """True for a current code not used before (a code works once, even within its window)."""
    secret = _secret(keys, user)
    if secret is None or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        at = datetime.fromtimestamp(candidate * totp.interval, UTC)
        if secrets.compare_digest(totp.at(at), code):
            if user.mfa_last_step is not None and candidate <= user.mfa_last_step:
                return False
            user.mfa_last_step = candidate
            return True
    return False


async def accept_code(session: AsyncSession, keys: IdentityKeys, user: User, code: str) -> bool:
    """A TOTP code, or one of the recovery codes (spent on use)."""
    if _accept_totp(keys, user, code.strip().replace(" ", "")):
        return True
    recovery = await session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == keyed_hash(keys.token_hash, _normalize_recovery(code)),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if recovery is None:
        return False
    recovery.used_at = datetime.now(UTC)
    return True


def begin_setup(keys: IdentityKeys, user: User) -> tuple[str, str]:
    """Store a fresh (not yet active) secret and return it with its otpauth:// URI."""
    if user.mfa_enabled:
        raise Conflict("Two-factor authentication is already on; disable it first.")
    secret = pyotp.random_base32()
    user.mfa_secret_encrypted = keys.cipher.encrypt(secret, context=f"totp:{user.id}")
    user.mfa_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER_NAME)
    return secret, uri


async def enable(session: AsyncSession, keys: IdentityKeys, user: User, otp: str) -> list[str]:
    """Turn MFA on with a first valid code; return the recovery codes (shown once)."""
    if user.mfa_enabled:
        raise Conflict("Two-factor authentication is already on.")
    if user.mfa_secret_encrypted is None:
        raise Conflict("Start with /v1/auth/2fa/setup.")
    if not _accept_totp(keys, user, otp):
        raise ValidationFailed([("otp", "The code is not valid; check your device's clock.")])
    user.mfa_enabled = True
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=keyed_hash(keys.token_hash, _normalize_recovery(c)))
        for c in codes
    )
    await session.flush()
    return codes


async def disable(session: AsyncSession, keys: IdentityKeys, user: User, otp: str) -> None:
    if user.user_type is UserType.ADMIN:
        raise Forbidden("Administrators must keep two-factor authentication on.")
    if not user.mfa_enabled:
        raise Conflict("Two-factor authentication is not on.")
    if not await accept_code(session, keys, user, otp):
        raise ValidationFailed([("otp", "The code is not valid.")])
    user.mfa_enabled = False
    user.mfa_secret_encrypted = None
    user.mfa_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
