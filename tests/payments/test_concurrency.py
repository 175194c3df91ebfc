"""Real concurrent transactions: racing confirms and webhooks still charge and post once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import text

from klearkarma.payments.gateways.sandbox import Chaos
from klearkarma.platform import Platform
from tests.conftest import client_for
from tests.payments.helpers import books_balance, intent_for, pay, pending_booking, sandbox


async def test_racing_confirms_and_live_webhooks_charge_once(
    committed_platform: Platform,
) -> None:
    gateway = sandbox(committed_platform)
    async with client_for(committed_platform) as client:
        attempts: Counter[str] = Counter()

        async def flaky_endpoint(body: bytes, headers: dict[str, str]) -> int:
            """Our endpoint over the app, failing the first delivery of each event with a 503."""
            event_id = body.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode()
            attempts[event_id] += 1
            if attempts[event_id] == 1:
                return 503
            answer = await client.post(
                "/v1/payments/webhooks/sandbox", content=body, headers=headers
            )
            return answer.status_code

        gateway.deliver = flaky_endpoint
        gateway.chaos = Chaos(duplicate_rate=1.0, max_delay=0.05, first_backoff=0.05)

        _, seeker, booking_id = await pending_booking(client, committed_platform)
        intent = (await intent_for(client, seeker, booking_id)).json()["data"]
        answers = await asyncio.gather(
            *(pay(client, seeker, intent["paymentIntentId"]) for _ in range(8))
        )
        assert {a.status_code for a in answers} == {200}
        assert {a.json()["data"]["status"] for a in answers} == {"completed"}
        await asyncio.wait_for(gateway.drain(), timeout=30)

    (event,) = await gateway.events_for(intent["paymentIntentId"])
    # Sent twice (duplicate_rate=1); the first attempt got a 503 and was retried: 3 attempts,
    # two of them accepted, one of those as a duplicate.
    assert attempts[event["id"]] == 3
    assert await gateway.undelivered() == []
    async with committed_platform.db.transaction() as session:
        captures = await session.scalar(
            text("SELECT count(*) FROM ledger_transactions WHERE key = :key"),
            {"key": f"capture:{intent['paymentId']}"},
        )
        received = await session.scalar(
            text("SELECT count(*) FROM payment_webhook_events WHERE event_id = :id"),
            {"id": event["id"]},
        )
        status = await session.scalar(
            text("SELECT status FROM bookings WHERE id = :id"), {"id": booking_id}
        )
    assert (captures, received, status) == (1, 1, "confirmed")
    await books_balance(committed_platform)
