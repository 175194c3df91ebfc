"""Earnings become available after the holding period and are paid out; plans sell credits."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from klearkarma.payments import tasks
from klearkarma.payments.gateways.sandbox import SandboxPayouts
from klearkarma.platform import Platform
from tests.bookings.helpers import book, days_ahead, local, new_seeker
from tests.identity.helpers import error_code
from tests.payments.helpers import (
    books_balance,
    earnings,
    paid_booking,
    pay,
    run_job,
)


async def _complete(platform: Platform, booking_id: str, days_ago: int) -> None:
    async with platform.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE bookings SET status = 'completed', "
                "completed_at = now() - make_interval(days => :days) WHERE id = :id"
            ),
            {"id": booking_id, "days": days_ago},
        )


async def test_earnings_wait_for_the_holding_period_then_are_paid_out(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    first = await paid_booking(client, platform, hour=9)
    second = await paid_booking(client, platform, calendar=first.calendar, hour=10)
    owner = first.calendar.owner
    assert (await earnings(client, owner))["pending"] == "2550.00"

    await _complete(platform, first.booking_id, days_ago=8)  # past the 7-day hold
    await _complete(platform, second.booking_id, days_ago=2)  # still held
    await run_job(platform, tasks.release_earnings, timestamp=0)
    await run_job(platform, tasks.release_earnings, timestamp=0)  # a second run moves nothing
    assert await earnings(client, owner) == {
        "available": "1275.00",
        "pending": "1275.00",
        "paidOut": "0.00",
        "currency": "INR",
    }
    await books_balance(platform)

    assert await tasks.pay_out(platform) == 1
    assert await earnings(client, owner) == {
        "available": "0.00",
        "pending": "1275.00",
        "paidOut": "1275.00",
        "currency": "INR",
    }
    listed = (await client.get("/v1/payouts", headers=owner)).json()
    assert [(p["amount"], p["status"]) for p in listed["data"]] == [("1275.00", "paid")]
    assert (await client.get("/v1/payouts", headers=first.seeker)).status_code == 403
    assert await tasks.pay_out(platform) == 0  # nothing left to pay
    # A refund after the money left is taken from future earnings, and the books still balance.
    refund = await client.post(
        "/v1/payments/refund",
        json={"paymentId": first.payment_id, "amount": "100.00"},
        headers=first.calendar.admin,
    )
    assert refund.status_code == 201
    assert (await earnings(client, owner))["available"] == "-85.00"
    await books_balance(platform)
    seeker_view = await client.get("/v1/practitioners/me/earnings", headers=first.seeker)
    assert seeker_view.status_code == 403


async def test_one_release_run_moves_each_payments_own_remaining_earnings(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    """The release reads every due payment's pending earnings in one query: each practitioner
    gets exactly what their own payment still holds (here one was partly refunded first)."""
    first = await paid_booking(client, platform, hour=9)
    second = await paid_booking(client, platform, hour=11)  # another practitioner
    refund = await client.post(
        "/v1/payments/refund",
        json={"paymentId": first.payment_id, "amount": "100.00"},
        headers=first.calendar.admin,
    )
    assert refund.status_code == 201, refund.text
    await _complete(platform, first.booking_id, days_ago=8)
    await _complete(platform, second.booking_id, days_ago=9)

    await run_job(platform, tasks.release_earnings, timestamp=0)

    assert await earnings(client, first.calendar.owner) == {
        "available": "1190.00",  # 1275.00 less the refund's 85.00 share
        "pending": "0.00",
        "paidOut": "0.00",
        "currency": "INR",
    }
    assert await earnings(client, second.calendar.owner) == {
        "available": "1275.00",
        "pending": "0.00",
        "paidOut": "0.00",
        "currency": "INR",
    }
    await books_balance(platform)


async def test_a_failed_payout_makes_the_earnings_available_again(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform)
    await _complete(platform, paid.booking_id, days_ago=10)
    await run_job(platform, tasks.release_earnings, timestamp=0)
    platform.payouts = SandboxPayouts(fail_for=frozenset({paid.calendar.practitioner_id}))
    assert await tasks.pay_out(platform) == 1
    listed = (await client.get("/v1/payouts", headers=paid.calendar.owner)).json()["data"]
    assert [(p["status"], p["failureReason"]) for p in listed] == [("failed", "account_closed")]
    assert (await earnings(client, paid.calendar.owner))["available"] == "1275.00"
    await books_balance(platform)


async def test_a_package_sells_credits_that_pay_for_bookings(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform)  # a calendar, and one ordinary payment
    calendar = paid.calendar
    plan = await client.post(
        "/v1/plans",
        json={
            "serviceId": calendar.service_id,
            "kind": "package",
            "name": "Five sessions",
            "sessions": 3,
            "periodDays": 90,
            "price": "4000.00",
        },
        headers=calendar.owner,
    )
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["data"]["id"]
    listed = await client.get(f"/v1/practitioners/{calendar.practitioner_id}/plans")
    assert [p["id"] for p in listed.json()["data"]] == [plan_id]

    seeker = await new_seeker(client)
    intent = await client.post(
        "/v1/payments/create-intent", json={"planId": plan_id}, headers=seeker
    )
    assert intent.status_code == 201, intent.text
    assert intent.json()["data"]["amount"] == "4000.00"
    bought = await pay(client, seeker, intent.json()["data"]["paymentIntentId"])
    assert bought.json()["data"] == {
        "paymentId": intent.json()["data"]["paymentId"],
        "status": "completed",
        "bookingStatus": None,
        "nextActionUrl": None,
    }
    (purchase,) = (await client.get("/v1/plans/purchases", headers=seeker)).json()["data"]
    assert (purchase["status"], purchase["creditsLeft"]) == ("active", 3)
    await books_balance(platform)

    spent = []
    for hour in (9, 10, 11):
        made = await book(client, seeker, calendar, local(days_ahead(9), hour))
        booking_id = made.json()["data"]["id"]
        used = await client.post(
            "/v1/payments/pay-with-credit",
            json={"bookingId": booking_id, "purchaseId": purchase["id"]},
            headers=seeker,
        )
        assert used.status_code == 200, used.text
        assert used.json()["data"]["bookingStatus"] == "confirmed"
        spent.append(booking_id)
    # Credits are worth 1333.33, 1333.33 and 1333.34: exactly the price, to the paisa.
    assert (await earnings(client, calendar.owner))["pending"] == "4675.00"
    made = await book(client, seeker, calendar, local(days_ahead(10), 9))
    none_left = await client.post(
        "/v1/payments/pay-with-credit",
        json={"bookingId": made.json()["data"]["id"], "purchaseId": purchase["id"]},
        headers=seeker,
    )
    assert none_left.status_code == 409
    assert error_code(none_left) == "CONFLICT"

    # Cancelling a credit-paid booking returns the credit, not money.
    await client.post(f"/v1/bookings/{spent[0]}/cancel", json={"reason": "x"}, headers=seeker)
    await run_job(platform, tasks.refund_booking, booking_id=spent[0])
    (purchase,) = (await client.get("/v1/plans/purchases", headers=seeker)).json()["data"]
    assert purchase["creditsLeft"] == 1
    await books_balance(platform)

    stranger = await new_seeker(client)
    stolen = await client.post(
        "/v1/payments/pay-with-credit",
        json={"bookingId": made.json()["data"]["id"], "purchaseId": purchase["id"]},
        headers=stranger,
    )
    assert stolen.status_code == 404


async def test_a_membership_renews_with_its_card_until_cancelled(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform)
    plan = await client.post(
        "/v1/plans",
        json={
            "serviceId": paid.calendar.service_id,
            "kind": "membership",
            "name": "Monthly",
            "sessions": 2,
            "periodDays": 30,
            "price": "2500.00",
        },
        headers=paid.calendar.owner,
    )
    seeker = await new_seeker(client)
    intent = await client.post(
        "/v1/payments/create-intent", json={"planId": plan.json()["data"]["id"]}, headers=seeker
    )
    await pay(client, seeker, intent.json()["data"]["paymentIntentId"])
    (purchase,) = (await client.get("/v1/plans/purchases", headers=seeker)).json()["data"]
    assert purchase["autoRenew"] is True
    async with platform.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE plan_purchases SET period_end = now() - interval '1 minute' WHERE id = :id"
            ),
            {"id": uuid.UUID(purchase["id"])},
        )
    await run_job(platform, tasks.renew_memberships, timestamp=0)
    (renewed,) = (await client.get("/v1/plans/purchases", headers=seeker)).json()["data"]
    assert (renewed["status"], renewed["creditsLeft"]) == ("active", 4)
    history = (await client.get("/v1/payments/history", headers=seeker)).json()["data"]
    assert [(p["purpose"], p["status"]) for p in history] == [
        ("plan", "completed"),
        ("plan", "completed"),
    ]
    cancelled = await client.post(f"/v1/plans/purchases/{purchase['id']}/cancel", headers=seeker)
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert cancelled.json()["data"]["autoRenew"] is False
    await books_balance(platform)
