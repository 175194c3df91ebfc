"""The role table: least privilege per role."""

from __future__ import annotations

import uuid

from klearkarma.identity.models import UserType
from klearkarma.identity.policy import (
    MFA_ENROLMENT,
    Principal,
    can_access_user,
    permissions_for,
)


def principal(user_type: UserType, *, mfa: bool = True) -> Principal:
    return Principal(
        user_id=uuid.uuid4(),
        email="p@example.com",
        user_type=user_type,
        permissions=permissions_for(user_type, mfa_enabled=mfa),
        session_id=uuid.uuid4(),
    )


def test_roles_hold_only_their_own_powers() -> None:
    seeker = permissions_for(UserType.SEEKER, mfa_enabled=False)
    practitioner = permissions_for(UserType.PRACTITIONER, mfa_enabled=False)
    admin = permissions_for(UserType.ADMIN, mfa_enabled=True)

    assert "bookings:create" in seeker
    assert "availability:manage" not in seeker
    assert "availability:manage" in practitioner
    assert "bookings:create" not in practitioner
    assert not any(p.startswith(("admin:", "users:", "refunds:")) for p in seeker | practitioner)
    assert {"admin:access", "users:manage", "practitioners:verify", "refunds:create"} <= admin


def test_admins_without_mfa_can_only_enrol() -> None:
    assert permissions_for(UserType.ADMIN, mfa_enabled=False) == MFA_ENROLMENT
    assert principal(UserType.ADMIN, mfa=False).is_admin is False
    assert principal(UserType.ADMIN).is_admin is True


def test_account_data_is_for_its_owner_and_admins() -> None:
    owner, other, admin = (
        principal(UserType.SEEKER),
        principal(UserType.SEEKER),
        principal(UserType.ADMIN),
    )

    assert can_access_user(owner, owner.user_id)
    assert not can_access_user(other, owner.user_id)
    assert can_access_user(admin, owner.user_id)
    assert not can_access_user(principal(UserType.ADMIN, mfa=False), owner.user_id)
