"""Book, pay, confirm, cancel, refund: the money follows the booking and the books balance."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
from sqlalchemy import func, select, text

from klearkarma.payments import tasks
from klearkarma.payments.models import LedgerTransaction, Payment, PaymentStatus
from klearkarma.platform import Platform
from tests.identity.helpers import error_code, queued
from tests.payments.helpers import (
    books_balance,
    earnings,
    intent_for,
    paid_booking,
    pay,
    pending_booking,
    run_job,
    sandbox,
)


async def _captures(platform: Platform, payment_id: str) -> int:
    async with platform.db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.key == f"capture:{payment_id}")
        )
    return int(count or 0)


async def test_book_pay_confirm_cancel_refund(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    calendar, seeker, booking_id = await pending_booking(client, platform, days=5)
    intent = await intent_for(client, seeker, booking_id)
    assert intent.status_code == 201, intent.text
    data = intent.json()["data"]
    assert data["amount"] == "1500.00"
    assert data["currency"] == "INR"
    assert data["gateway"] == "sandbox"
    assert data["status"] == "requires_payment_method"
    assert data["clientSecret"].startswith(data["paymentIntentId"])

    paid = await pay(client, seeker, data["paymentIntentId"])
    assert paid.status_code == 200, paid.text
    assert paid.json()["data"] == {
        "paymentId": data["paymentId"],
        "status": "completed",
        "bookingStatus": "confirmed",
        "nextActionUrl": None,
    }
    booking = (await client.get(f"/v1/bookings/{booking_id}", headers=seeker)).json()["data"]
    assert booking["status"] == "confirmed"
    mails = await queued(platform.db, "notifications.send_email")
    (receipt,) = [m for m in mails if m["subject"].startswith("Receipt KK-")]
    assert receipt["subject"].endswith("1,500.00 INR paid")
    assert "pm_card_visa" in receipt["text"]
    assert await earnings(client, calendar.owner) == {
        "available": "0.00",
        "pending": "1275.00",
        "paidOut": "0.00",
        "currency": "INR",
    }
    await books_balance(platform)

    # Five days ahead: a full refund, carried out by the job the cancel queued.
    cancelled = await client.post(
        f"/v1/bookings/{booking_id}/cancel", json={"reason": "travel"}, headers=seeker
    )
    assert cancelled.json()["data"]["refundAmount"] == "1500.00"
    assert {"booking_id": booking_id} in await queued(platform.db, "payments.refund_booking")
    await run_job(platform, tasks.refund_booking, booking_id=booking_id)
    await run_job(
        platform, tasks.refund_booking, booking_id=booking_id
    )  # a retried job does nothing more

    payment = (await client.get(f"/v1/payments/{data['paymentId']}", headers=seeker)).json()
    assert payment["data"]["status"] == "refunded"
    assert payment["data"]["refundedAmount"] == "1500.00"
    assert [(r["amount"], r["status"], r["reason"]) for r in payment["data"]["refunds"]] == [
        ("1500.00", "succeeded", "cancellation")
    ]
    assert (await earnings(client, calendar.owner))["pending"] == "0.00"
    await books_balance(platform)
    mails = await queued(platform.db, "notifications.send_email")
    assert [m["subject"] for m in mails if m["subject"].startswith("Refund")] == [
        "Refund of 1,500.00 INR on its way"
    ]

    history = (await client.get("/v1/payments/history", headers=seeker)).json()
    assert [p["id"] for p in history["data"]] == [data["paymentId"]]
    assert history["meta"]["pagination"]["total"] == 1


async def test_late_cancellation_refunds_half_and_keeps_commission_in_proportion(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform, days=1, hour=9)
    # Move it within 24 hours so the policy grants half.
    async with platform.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE bookings SET scheduled_at = now() + interval '3 hours', "
                "ends_at = now() + interval '4 hours' WHERE id = :id"
            ),
            {"id": paid.booking_id},
        )
    cancelled = await client.post(
        f"/v1/bookings/{paid.booking_id}/cancel", json={"reason": "ill"}, headers=paid.seeker
    )
    assert cancelled.json()["data"]["refundAmount"] == "750.00"
    await run_job(platform, tasks.refund_booking, booking_id=paid.booking_id)
    payment = (await client.get(f"/v1/payments/{paid.payment_id}", headers=paid.seeker)).json()
    assert payment["data"]["status"] == "partially_refunded"
    assert payment["data"]["refundedAmount"] == "750.00"
    # The practitioner keeps half of their 1275.00; the platform half of its 225.00.
    assert (await earnings(client, paid.calendar.owner))["pending"] == "637.50"
    await books_balance(platform)


async def test_declined_card_is_402_and_a_retry_with_another_card_succeeds(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    for card, code in (
        ("pm_card_declined", "card_declined"),
        ("pm_card_insufficient_funds", "insufficient_funds"),
    ):
        refused = await pay(client, seeker, intent["paymentIntentId"], card)
        assert refused.status_code == 402
        assert error_code(refused) == "PAYMENT_FAILED"
        assert refused.json()["error"]["details"]["declineCode"] == code
        stored = (await client.get(f"/v1/payments/{intent['paymentId']}", headers=seeker)).json()
        assert stored["data"]["status"] == "failed"
        assert stored["data"]["failureCode"] == code
    booking = (await client.get(f"/v1/bookings/{booking_id}", headers=seeker)).json()["data"]
    assert booking["status"] == "pending"

    unknown = await pay(client, seeker, intent["paymentIntentId"], "pm_card_unicorn")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "paymentMethod"

    ok = await pay(client, seeker, intent["paymentIntentId"], "pm_card_visa")
    assert ok.json()["data"]["status"] == "completed"
    await books_balance(platform)


async def test_duplicate_confirms_charge_once(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    again = await intent_for(client, seeker, booking_id)
    assert again.json()["data"]["paymentId"] == intent["paymentId"]  # the open one, not a new one

    for _ in range(3):
        answer = await pay(client, seeker, intent["paymentIntentId"])
        assert answer.status_code == 200
        assert answer.json()["data"]["status"] == "completed"
    assert await _captures(platform, intent["paymentId"]) == 1
    events = await sandbox(platform).events_for(intent["paymentIntentId"])
    assert [e["type"] for e in events] == ["payment_intent.succeeded"]
    paid_again = await intent_for(client, seeker, booking_id)
    assert paid_again.status_code == 409
    await books_balance(platform)


async def test_idempotency_key_replays_the_confirm_answer(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id, **{"Idempotency-Key": "i-1"})).json()
    replay = await intent_for(client, seeker, booking_id, **{"Idempotency-Key": "i-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["data"] == intent["data"]
    first = await pay(
        client,
        seeker,
        intent["data"]["paymentIntentId"],
        "pm_card_declined",
        **{"Idempotency-Key": "c-1"},
    )
    second = await pay(
        client,
        seeker,
        intent["data"]["paymentIntentId"],
        "pm_card_declined",
        **{"Idempotency-Key": "c-1"},
    )
    assert first.status_code == second.status_code == 402
    assert second.headers.get("Idempotent-Replayed") == "true"
    other_body = await pay(
        client,
        seeker,
        intent["data"]["paymentIntentId"],
        "pm_card_visa",
        **{"Idempotency-Key": "c-1"},
    )
    assert other_body.status_code == 422
    assert error_code(other_body) == "IDEMPOTENCY_CONFLICT"


async def test_three_d_secure_step(client: httpx.AsyncClient, platform: Platform) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    pending = await pay(
        client, seeker, intent["paymentIntentId"], "pm_card_authentication_required"
    )
    body = pending.json()["data"]
    assert body["status"] == "requires_action"
    assert body["bookingStatus"] == "pending"
    assert body["nextActionUrl"] == f"/v1/payments/sandbox/{intent['paymentIntentId']}/authenticate"
    done = await client.post(body["nextActionUrl"], json={"approve": True}, headers=seeker)
    assert done.status_code == 200, done.text
    assert done.json()["data"]["status"] == "completed"
    assert done.json()["data"]["bookingStatus"] == "confirmed"
    await books_balance(platform)


async def test_another_seeker_cannot_pay_read_or_refund(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform)
    _, stranger, _ = await pending_booking(client, platform, calendar=paid.calendar, hour=10)
    _, victim, booking_id = await pending_booking(client, platform, calendar=paid.calendar, hour=11)
    open_intent = (await intent_for(client, victim, booking_id)).json()["data"]

    assert (await intent_for(client, stranger, booking_id)).status_code == 404
    assert (await pay(client, stranger, open_intent["paymentIntentId"])).status_code == 404
    assert (
        await client.get(f"/v1/payments/{paid.payment_id}", headers=stranger)
    ).status_code == 404
    refund = await client.post(
        "/v1/payments/refund", json={"paymentId": paid.payment_id}, headers=stranger
    )
    assert refund.status_code == 404
    history = (await client.get("/v1/payments/history", headers=stranger)).json()["data"]
    assert paid.payment_id not in {p["id"] for p in history}
    # The payer cannot refund themselves outside the policy either.
    own = await client.post(
        "/v1/payments/refund", json={"paymentId": paid.payment_id}, headers=paid.seeker
    )
    assert own.status_code == 403
    # The practitioner sees the payment for their session, but cannot refund it.
    assert (
        await client.get(f"/v1/payments/{paid.payment_id}", headers=paid.calendar.owner)
    ).status_code == 200
    by_owner = await client.post(
        "/v1/payments/refund", json={"paymentId": paid.payment_id}, headers=paid.calendar.owner
    )
    assert by_owner.status_code == 403
    async with platform.db.transaction() as session:
        payment = await session.get(Payment, uuid.UUID(paid.payment_id))
        assert payment is not None
        assert payment.status is PaymentStatus.COMPLETED


async def test_admin_partial_refunds_return_commission_in_proportion(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform)
    first = await client.post(
        "/v1/payments/refund",
        json={"paymentId": paid.payment_id, "amount": "100.00"},
        headers=paid.calendar.admin,
    )
    assert first.status_code == 201, first.text
    assert first.json()["data"]["status"] == "succeeded"
    too_much = await client.post(
        "/v1/payments/refund",
        json={"paymentId": paid.payment_id, "amount": "1400.01"},
        headers=paid.calendar.admin,
    )
    assert too_much.status_code == 422
    assert too_much.json()["error"]["details"][0]["field"] == "amount"
    rest = await client.post(
        "/v1/payments/refund", json={"paymentId": paid.payment_id}, headers=paid.calendar.admin
    )
    assert rest.json()["data"]["amount"] == "1400.00"
    async with platform.db.transaction() as session:
        shares = (
            await session.execute(
                text(
                    "SELECT amount, commission_amount FROM refunds WHERE payment_id = :id "
                    "ORDER BY created_at"
                ),
                {"id": paid.payment_id},
            )
        ).all()
    assert shares == [
        (Decimal("100.00"), Decimal("15.00")),
        (Decimal("1400.00"), Decimal("210.00")),
    ]
    assert (await earnings(client, paid.calendar.owner))["pending"] == "0.00"
    await books_balance(platform)


async def test_bad_payment_requests_name_the_field(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    cases = [
        ("/v1/payments/create-intent", {}, "bookingId"),
        ("/v1/payments/create-intent", {"bookingId": "nope"}, "bookingId"),
        ("/v1/payments/create-intent", {"bookingId": booking_id, "planId": booking_id}, "planId"),
        ("/v1/payments/confirm", {"paymentMethod": "pm_card_visa"}, "paymentIntentId"),
        ("/v1/payments/refund", {"paymentId": booking_id, "amount": "-5"}, "amount"),
        ("/v1/payments/refund", {"paymentId": booking_id, "amount": "1.001"}, "amount"),
    ]
    for path, body, field in cases:
        answer = await client.post(path, json=body, headers=seeker)
        assert answer.status_code == 422, (path, body)
        assert error_code(answer) == "VALIDATION_ERROR"
        assert [d["field"] for d in answer.json()["error"]["details"]] == [field], (path, body)
    unsigned = await client.post("/v1/payments/create-intent", json={"bookingId": booking_id})
    assert unsigned.status_code == 401
