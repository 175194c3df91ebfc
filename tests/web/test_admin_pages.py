"""Admin pages over HTTP: two-factor required, the verification queue with documents and
decisions, users (search, suspend, reactivate), bookings with refunds, flagged security events —
each checked against the rows it leaves, and non-admins kept out."""

from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal

import httpx
import pyotp
from sqlalchemy import select

from klearkarma.bookings.models import Booking
from klearkarma.core.db import Database
from klearkarma.identity import events
from klearkarma.identity.models import AuthSession, User, UserStatus
from klearkarma.identity.service import ensure_admin
from klearkarma.payments.models import Payment, PaymentStatus, Refund
from klearkarma.platform import Platform
from klearkarma.practitioners.models import (
    Practitioner,
    VerificationDecision,
    VerificationStatus,
)
from klearkarma.web.rendering import local_time
from tests.identity.helpers import PASSWORD, register, unique_email
from tests.payments.helpers import paid_booking
from tests.practitioners.helpers import PDF, new_practitioner
from tests.web.helpers import HTML, csrf_of, get_page, post_form, sign_in


async def _admin(client: httpx.AsyncClient, db: Database, *, with_2fa: bool = True) -> str:
    """A fresh admin (made as the CLI makes one) signed in to the web app, 2FA on by default."""
    email = unique_email("ops")
    async with db.transaction() as session:
        await ensure_admin(session, email=email, password=PASSWORD, password_rounds=4)
    await sign_in(client, email, PASSWORD)
    if with_2fa:
        setup = await post_form(client, "/account/2fa/setup", {}, token_from="/account/security")
        secret = re.search(r"data-mfa-secret>([A-Z2-7 ]+)<", setup.text)
        assert secret is not None, setup.text
        totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
        enabled = await client.post(
            "/account/2fa/enable",
            data={"csrf_token": csrf_of(setup), "otp": totp.at(time.time())},
            headers=HTML,
        )
        assert enabled.status_code == 200, enabled.text
    return email


async def _user(db: Database, email: str) -> User:
    async with db.transaction() as session:
        found = await session.scalar(select(User).where(User.email == email))
        assert found is not None
        return found


async def test_an_admin_without_two_factor_is_sent_to_turn_it_on(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _admin(client, db, with_2fa=False)

    refused = await get_page(client, "/admin/verification")

    assert refused.status_code == 403
    assert "turn on two-factor authentication" in refused.text


async def test_verification_queue_shows_documents_and_records_decisions(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner, profile = await new_practitioner(client)
    uploaded = await client.post(
        f"/v1/practitioners/{profile['id']}/documents",
        files={"file": ("licence.pdf", PDF, "application/pdf")},
        headers=owner,
    )
    document_id = uploaded.json()["data"]["id"]
    pid = uuid.UUID(profile["id"])
    await _admin(client, db)

    queue = await get_page(client, "/admin/verification")
    assert queue.status_code == 200
    assert f'data-practitioner="{pid}"' in queue.text
    link = f"/admin/practitioners/{pid}/documents/{document_id}"
    assert f'href="{link}"' in queue.text
    document = await client.get(link, headers=HTML)
    assert document.content == PDF
    assert document.headers["cache-control"] == "private, no-store"

    no_reason = await post_form(
        client,
        f"/admin/practitioners/{pid}/verification",
        {"decision": "rejected", "reason": ""},
        token_from="/admin/verification",
    )
    assert no_reason.status_code == 422
    assert "Say why, so the practitioner can fix it." in no_reason.text
    no_choice = await post_form(
        client, f"/admin/practitioners/{pid}/verification", {}, token_from="/admin/verification"
    )
    assert no_choice.status_code == 422
    assert "Choose verify or reject." in no_choice.text
    async with db.transaction() as session:
        practitioner = await session.get(Practitioner, pid)
        assert practitioner is not None
        assert practitioner.verification_status is VerificationStatus.PENDING

    verified = await post_form(
        client,
        f"/admin/practitioners/{pid}/verification",
        {"decision": "verified", "reason": "Licence checked"},
        token_from="/admin/verification",
    )
    assert verified.status_code == 303
    async with db.transaction() as session:
        practitioner = await session.get(Practitioner, pid)
        decisions = list(
            await session.scalars(
                select(VerificationDecision)
                .where(VerificationDecision.practitioner_id == pid)
                .order_by(VerificationDecision.created_at)
            )
        )
    assert practitioner is not None
    assert practitioner.verification_status is VerificationStatus.VERIFIED
    assert [(d.decision, d.reason) for d in decisions] == [
        (VerificationStatus.PENDING, "Profile submitted for verification."),
        (VerificationStatus.VERIFIED, "Licence checked"),
    ]
    assert f'data-practitioner="{pid}"' not in (await get_page(client, "/admin/verification")).text


async def test_the_verification_queue_is_searched_by_name_or_city(
    client: httpx.AsyncClient, db: Database
) -> None:
    tag = uuid.uuid4().hex[:8]
    waiting = {}
    for name, city in ((f"Ishaan {tag}", "Shillong"), (f"Meera {tag}", f"Tura{tag}")):
        _, profile = await new_practitioner(client)
        waiting[name] = uuid.UUID(profile["id"])
        async with db.transaction() as session:
            practitioner = await session.get(Practitioner, waiting[name])
            assert practitioner is not None
            practitioner.display_name, practitioner.city = name, city
    await _admin(client, db)

    def shown(page: httpx.Response) -> set[uuid.UUID]:
        return {pid for pid in waiting.values() if f'data-practitioner="{pid}"' in page.text}

    by_name = await get_page(client, f"/admin/verification?q=ishaan+{tag}")
    by_city = await get_page(client, f"/admin/verification?q=TURA{tag}")
    both = await get_page(client, f"/admin/verification?q={tag}")
    wildcard = await get_page(client, "/admin/verification?q=%25")

    assert shown(by_name) == {waiting[f"Ishaan {tag}"]}
    assert shown(by_city) == {waiting[f"Meera {tag}"]}
    assert shown(both) == set(waiting.values())
    assert "2 practitioners waiting matching" in both.text
    assert shown(wildcard) == set()  # % is a character to find, not a wildcard


async def test_users_are_found_suspended_with_a_reason_and_reactivated(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("wanderer")
    await register(client, email=email, first_name="Tara", last_name="Bose")
    target = await _user(db, email)
    await _admin(client, db)

    found = await get_page(client, "/admin/users?q=tara+bose")
    assert f'data-user="{target.id}"' in found.text
    assert email in found.text
    missing = await get_page(client, "/admin/users?q=nobody-at-all")
    assert "0 accounts found." in missing.text

    no_reason = await post_form(
        client,
        f"/admin/users/{target.id}/suspend",
        {"reason": ""},
        token_from=f"/admin/users/{target.id}",
    )
    assert no_reason.status_code == 422
    assert 'href="#field-reason"' in no_reason.text
    assert (await _user(db, email)).status is UserStatus.ACTIVE

    suspended = await post_form(
        client,
        f"/admin/users/{target.id}/suspend",
        {"reason": "Abusive messages"},
        token_from=f"/admin/users/{target.id}",
    )
    assert suspended.status_code == 303
    assert (await _user(db, email)).status is UserStatus.SUSPENDED
    async with db.transaction() as session:
        open_sessions = await session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == target.id, AuthSession.revoked_at.is_(None)
            )
        )
        assert list(open_sessions) == []
    page = await get_page(client, f"/admin/users/{target.id}")
    assert "account suspended" in page.text  # the security event, on the user's page

    reactivated = await post_form(
        client, f"/admin/users/{target.id}/reactivate", {}, token_from=f"/admin/users/{target.id}"
    )
    assert reactivated.status_code == 303
    assert (await _user(db, email)).status is UserStatus.ACTIVE


async def test_bookings_are_searched_and_refunded_in_part_with_errors_in_the_form(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    paid = await paid_booking(client, platform)
    async with db.transaction() as session:
        payment = await session.get(Payment, uuid.UUID(paid.payment_id))
        assert payment is not None
        seeker = await session.get(User, payment.payer_id)
        assert seeker is not None
    await _admin(client, db)

    by_email = await get_page(client, f"/admin/bookings?q={seeker.email}")
    assert f'data-booking="{paid.booking_id}"' in by_email.text
    by_id = await client.get(f"/admin/bookings?q={paid.booking_id}", headers=HTML)
    assert by_id.headers["location"] == f"/admin/bookings/{paid.booking_id}"
    detail = await get_page(client, f"/admin/bookings/{paid.booking_id}")
    assert f'data-payment="{paid.payment_id}"' in detail.text

    too_much = await post_form(
        client,
        f"/admin/bookings/{paid.booking_id}/refund",
        {"payment_id": paid.payment_id, "amount": "5000"},
        token_from=f"/admin/bookings/{paid.booking_id}",
    )
    assert too_much.status_code == 422
    assert "Refund between 0.01 and 1500.00 INR." in too_much.text
    partial = await post_form(
        client,
        f"/admin/bookings/{paid.booking_id}/refund",
        {"payment_id": paid.payment_id, "amount": "500"},
        token_from=f"/admin/bookings/{paid.booking_id}",
    )
    assert partial.status_code == 303
    rest = await post_form(
        client,
        f"/admin/bookings/{paid.booking_id}/refund",
        {"payment_id": paid.payment_id, "amount": ""},
        token_from=f"/admin/bookings/{paid.booking_id}",
    )
    assert rest.status_code == 303
    async with db.transaction() as session:
        payment = await session.get(Payment, uuid.UUID(paid.payment_id))
        refunds = list(
            await session.scalars(
                select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.created_at)
            )
        )
    assert payment is not None
    assert payment.status is PaymentStatus.REFUNDED
    assert [(r.amount, r.reason) for r in refunds] == [
        (Decimal("500.00"), "admin"),
        (Decimal("1000.00"), "admin"),
    ]
    done = await get_page(client, f"/admin/bookings/{paid.booking_id}")
    assert "can still be refunded" not in done.text


async def test_flagged_security_events_are_listed_for_review(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("target")
    await register(client, email=email)
    target = await _user(db, email)
    async with db.transaction() as session:
        flagged = await events.record(
            session, "token_reuse", user_id=target.id, client=events.Client("203.0.113.9", "curl")
        )
    await _admin(client, db)

    page = await get_page(client, "/admin/security")

    assert f'data-event="{flagged.id}"' in page.text
    assert email in page.text
    assert "203.0.113.9" in page.text
    everything = await get_page(client, "/admin/security?show=all")
    assert everything.text.count("data-event=") > page.text.count("data-event=")


async def test_non_admins_get_the_403_page_and_change_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    email = unique_email("curious")
    await register(client, email=email, user_type="practitioner")
    victim = unique_email("victim")
    await register(client, email=victim)
    victim_id = (await _user(db, victim)).id
    await sign_in(client, email, PASSWORD)

    for path in (
        "/admin",
        "/admin/verification",
        "/admin/users",
        "/admin/bookings",
        "/admin/security",
    ):
        assert (await get_page(client, path)).status_code == 403, path
    refused = await post_form(
        client, f"/admin/users/{victim_id}/suspend", {"reason": "because"}, token_from="/account"
    )
    assert refused.status_code == 403
    assert (await _user(db, victim)).status is UserStatus.ACTIVE

    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with anonymous:
        bounced = await anonymous.get("/admin/users", headers=HTML)
    assert bounced.status_code == 303
    assert bounced.headers["location"] == "/login?next=/admin/users"


async def test_admin_pages_show_times_in_the_admins_own_zone(
    client: httpx.AsyncClient, platform: Platform, db: Database
) -> None:
    paid = await paid_booking(client, platform)
    email = await _admin(client, db)
    async with db.transaction() as session:
        admin = await session.scalar(select(User).where(User.email == email))
        assert admin is not None
        admin.timezone = "America/New_York"
        booking = await session.get(Booking, uuid.UUID(paid.booking_id))
        assert booking is not None
        seeker = await session.get(User, booking.seeker_id)
        assert seeker is not None
        when, seeker_email = booking.scheduled_at, seeker.email

    detail = await get_page(client, f"/admin/bookings/{paid.booking_id}")
    listed = await get_page(client, f"/admin/bookings?q={seeker_email}")

    for page in (detail, listed):
        assert local_time(when, "America/New_York") in page.text
        assert local_time(when, "Asia/Kolkata") not in page.text
