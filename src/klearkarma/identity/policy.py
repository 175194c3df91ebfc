"""The platform's role-based access rules, in one place.

Roles grant permissions; object-level rules ("only the owner or an admin") are the functions at the
bottom. Other contexts ask here instead of comparing user types themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from klearkarma.identity.models import UserType

# Permissions an admin holds before enrolling in two-factor authentication: enough to enrol.
MFA_ENROLMENT = frozenset({"profile:read", "auth:mfa"})

_COMMON = frozenset(
    {
        "profile:read",
        "profile:write",
        "auth:mfa",
        "privacy:manage",
        "bookings:read",
        "messages:send",
    }
)

ROLE_PERMISSIONS: dict[UserType, frozenset[str]] = {
    UserType.SEEKER: _COMMON
    | {"bookings:create", "bookings:cancel", "payments:create", "reviews:create", "records:own"},
    UserType.PRACTITIONER: _COMMON
    | {
        "practitioner:manage",
        "services:manage",
        "availability:manage",
        "bookings:manage",
        "payouts:read",
    },
    UserType.ADMIN: _COMMON
    | {
        "admin:access",
        "users:manage",
        "practitioners:verify",
        "bookings:manage",
        "refunds:create",
        "security:read",
    },
}


def permissions_for(user_type: UserType, *, mfa_enabled: bool) -> frozenset[str]:
    """What a fresh token for this user may do; admins must enrol in MFA first."""
    if user_type is UserType.ADMIN and not mfa_enabled:
        return MFA_ENROLMENT
    return ROLE_PERMISSIONS[user_type]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: uuid.UUID
    email: str
    user_type: UserType
    permissions: frozenset[str]
    session_id: uuid.UUID

    @property
    def is_admin(self) -> bool:
        return self.user_type is UserType.ADMIN and "admin:access" in self.permissions

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def can_access_user(principal: Principal, user_id: uuid.UUID) -> bool:
    """A person's account data is theirs and the admins'."""
    return principal.user_id == user_id or principal.is_admin


def owns_or_admin(principal: Principal, owner_user_id: uuid.UUID) -> bool:
    """Object-level rule shared by every context: the owning user, or an admin."""
    return principal.user_id == owner_user_id or principal.is_admin
