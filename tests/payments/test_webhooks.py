"""Webhooks: verified, applied once, in any order, and healing a charge we never recorded."""

from __future__ import annotations

import time
import uuid

import httpx
import orjson
from sqlalchemy import func, select

from klearkarma.payments import reconcile
from klearkarma.payments.gateways.sandbox import SIGNATURE_HEADER, sign
from klearkarma.payments.models import LedgerTransaction, Payment, PaymentStatus
from klearkarma.platform import Platform
from tests.identity.helpers import error_code
from tests.payments.helpers import (
    books_balance,
    deliver,
    intent_for,
    paid_booking,
    pending_booking,
    sandbox,
)


async def _status(platform: Platform, payment_id: str) -> PaymentStatus:
    async with platform.db.transaction() as session:
        payment = await session.get(Payment, uuid.UUID(payment_id))
        assert payment is not None
        return payment.status


async def _ledger_rows(platform: Platform, payment_id: str) -> list[str]:
    async with platform.db.transaction() as session:
        rows = await session.scalars(
            select(LedgerTransaction.kind)
            .where(LedgerTransaction.payment_id == uuid.UUID(payment_id))
            .order_by(LedgerTransaction.created_at)
        )
        return list(rows)


async def test_webhook_first_confirms_the_booking_when_our_confirm_never_ran(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    """The charge succeeded at the processor but we crashed before recording it."""
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    gateway = sandbox(platform)
    await gateway.confirm_intent(intent["paymentIntentId"], "pm_card_visa", idempotency_key="x")
    assert await _status(platform, intent["paymentId"]) is PaymentStatus.REQUIRES_PAYMENT_METHOD

    (event,) = await gateway.events_for(intent["paymentIntentId"])
    answer = await deliver(client, platform, event)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"received": True, "duplicate": False}
    assert await _status(platform, intent["paymentId"]) is PaymentStatus.COMPLETED
    booking = (await client.get(f"/v1/bookings/{booking_id}", headers=seeker)).json()["data"]
    assert booking["status"] == "confirmed"

    # The client's late confirm call finds the work done and charges nothing more.
    late = await client.post(
        "/v1/payments/confirm",
        json={"paymentIntentId": intent["paymentIntentId"], "paymentMethod": "pm_card_visa"},
        headers=seeker,
    )
    assert late.json()["data"]["status"] == "completed"
    assert await _ledger_rows(platform, intent["paymentId"]) == ["payment.capture"]
    await books_balance(platform)


async def test_duplicated_and_reordered_webhooks_apply_once(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform, method="pm_card_visa")
    refund = await client.post(
        "/v1/payments/refund",
        json={"paymentId": paid.payment_id, "amount": "500.00"},
        headers=paid.calendar.admin,
    )
    assert refund.status_code == 201
    events = await sandbox(platform).events_for(paid.intent_id)
    assert [e["type"] for e in events] == ["payment_intent.succeeded", "refund.succeeded"]
    # Newest first, each twice, and the failure of an earlier attempt delivered last.
    stale_failure = {
        "id": "evt_sbx_stale_failure",
        "type": "payment_intent.payment_failed",
        "created": int(time.time()),
        "data": {"object": {"id": paid.intent_id}},
    }
    answers = [
        await deliver(client, platform, event)
        for event in [*reversed(events), *events, stale_failure]
    ]
    assert [a.json()["data"]["duplicate"] for a in answers] == [False, False, True, True, False]
    assert await _status(platform, paid.payment_id) is PaymentStatus.PARTIALLY_REFUNDED
    assert sorted(await _ledger_rows(platform, paid.payment_id)) == [
        "payment.capture",
        "refund.allocate",
        "refund.paid",
    ]
    await books_balance(platform)


async def test_forged_and_stale_webhooks_are_refused(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    payload = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": intent["paymentIntentId"], "status": "succeeded"}},
    }
    body = orjson.dumps(payload)
    secret = sandbox(platform).webhook_secret
    attempts = {
        "no signature": {},
        "wrong secret": {SIGNATURE_HEADER: sign("not-the-secret", body, int(time.time()))},
        "stale": {SIGNATURE_HEADER: sign(secret, body, int(time.time()) - 3600)},
        "other body": {SIGNATURE_HEADER: sign(secret, body + b" ", int(time.time()))},
    }
    for name, headers in attempts.items():
        answer = await client.post(
            "/v1/payments/webhooks/sandbox",
            content=body,
            headers={"content-type": "application/json", **headers},
        )
        assert answer.status_code == 400, name
        assert error_code(answer) == "BAD_REQUEST"
    # Even a correctly signed event cannot fake success: the intent itself is asked.
    genuine = await deliver(client, platform, payload)
    assert genuine.status_code == 200
    assert await _status(platform, intent["paymentId"]) is PaymentStatus.REQUIRES_PAYMENT_METHOD
    assert (await client.post("/v1/payments/webhooks/stripe", content=body)).status_code == 404


async def test_a_payment_arriving_after_the_hold_expired_is_refunded_in_full(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    async with platform.db.transaction() as session:
        from klearkarma.bookings import lifecycle

        await session.execute(
            select(func.now())
        )  # the hold runs out and the sweep cancels the booking
        from klearkarma.bookings.models import Booking

        booking = await session.get(Booking, uuid.UUID(booking_id))
        assert booking is not None
        booking.hold_expires_at = booking.created_at
        await session.flush()
        assert await lifecycle.expire_overdue_holds(session, platform.cache) == 1
    gateway = sandbox(platform)
    await gateway.confirm_intent(intent["paymentIntentId"], "pm_card_visa", idempotency_key="y")
    for event in await gateway.events_for(intent["paymentIntentId"]):
        await deliver(client, platform, event)
    assert await _status(platform, intent["paymentId"]) is PaymentStatus.REFUNDED
    booking_now = (await client.get(f"/v1/bookings/{booking_id}", headers=seeker)).json()
    assert booking_now["data"]["status"] == "cancelled"
    await books_balance(platform)


async def test_a_refund_the_bank_bounces_is_reversed_in_the_ledger(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    paid = await paid_booking(client, platform, method="pm_card_refund_fails")
    refund = await client.post(
        "/v1/payments/refund", json={"paymentId": paid.payment_id}, headers=paid.calendar.admin
    )
    assert refund.json()["data"]["status"] == "pending"
    assert await _status(platform, paid.payment_id) is PaymentStatus.REFUNDED
    for event in await sandbox(platform).events_for(paid.intent_id):
        answer = await deliver(client, platform, event)
        assert answer.status_code == 200, answer.text
    assert await _status(platform, paid.payment_id) is PaymentStatus.COMPLETED
    payment = (await client.get(f"/v1/payments/{paid.payment_id}", headers=paid.seeker)).json()
    assert payment["data"]["refundedAmount"] == "0.00"
    assert payment["data"]["refunds"][0]["status"] == "failed"
    assert sorted(await _ledger_rows(platform, paid.payment_id)) == [
        "payment.capture",
        "refund.allocate",
        "refund.allocate.reversal",
    ]
    await books_balance(platform)


async def test_reconciliation_heals_a_lost_webhook_and_reports_it(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    _, seeker, booking_id = await pending_booking(client, platform)
    intent = (await intent_for(client, seeker, booking_id)).json()["data"]
    await sandbox(platform).confirm_intent(
        intent["paymentIntentId"], "pm_card_visa", idempotency_key="z"
    )
    async with platform.db.transaction() as session:
        report = await reconcile.reconcile(session, platform.gateway, platform.cache)
    assert {"kind": "unsettled_charge", "payment": intent["paymentId"], "healed": True} in (
        report.mismatches
    )
    assert await _status(platform, intent["paymentId"]) is PaymentStatus.COMPLETED
    async with platform.db.transaction() as session:
        again = await reconcile.reconcile(session, platform.gateway, platform.cache)
    assert [m for m in again.mismatches if m.get("payment") == intent["paymentId"]] == []
    await books_balance(platform)
