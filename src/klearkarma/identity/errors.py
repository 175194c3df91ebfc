"""Errors of the identity context (codes from the API contract)."""

from __future__ import annotations

from klearkarma.core.errors import AppError, Forbidden, Unauthorized


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"
    default_message = "The email or password is incorrect."


class MfaRequired(Unauthorized):
    code = "MFA_REQUIRED"
    default_message = "Two-factor authentication is on: send the code from your authenticator app."


class TokenRevoked(Unauthorized):
    code = "TOKEN_REVOKED"
    default_message = "This session has ended; log in again."


class AccountSuspended(Forbidden):
    code = "ACCOUNT_SUSPENDED"
    default_message = "This account is suspended. Contact support."


class InvalidToken(AppError):
    status_code = 400
    code = "INVALID_TOKEN"
    default_message = "This link or code is invalid or has expired."
