"""The ledger's invariants: append-only, balanced, and right after any sequence of movements."""

from __future__ import annotations

import itertools
import random
import uuid
from decimal import ROUND_DOWN, Decimal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from klearkarma.core.db import Database
from klearkarma.payments import ledger, tasks
from klearkarma.payments.ledger import Line, Posting, Unbalanced, credit, debit
from klearkarma.platform import Platform
from tests.bookings.helpers import open_calendar
from tests.payments.helpers import books_balance, deliver, paid_booking, run_job, sandbox


async def test_posting_is_idempotent_and_refuses_unbalanced_lines(platform: Platform) -> None:
    payment_id = uuid.uuid4()
    move = Posting(
        key=f"test:{payment_id}",
        kind="test",
        currency="INR",
        lines=[debit(ledger.CLEARING, Decimal("10.00")), credit(ledger.REVENUE, Decimal("10.00"))],
        payment_id=payment_id,
    )
    async with platform.db.transaction() as session:
        assert await ledger.post(session, move) is not None
        assert await ledger.post(session, move) is None  # the same movement, posted again
        found = await ledger.balances(session, [ledger.CLEARING])
        assert found[(ledger.CLEARING, "INR")] == Decimal("10.00")
        with pytest.raises(Unbalanced):
            await ledger.post(
                session,
                Posting(
                    key="test:unbalanced",
                    kind="test",
                    currency="INR",
                    lines=[Line(ledger.CLEARING, Decimal("1.00"))],
                ),
            )


async def test_entries_cannot_be_changed_or_deleted(platform: Platform) -> None:
    async with platform.db.transaction() as session:
        await ledger.post(
            session,
            Posting(
                key="test:frozen",
                kind="test",
                currency="INR",
                lines=[
                    debit(ledger.CLEARING, Decimal("5.00")),
                    credit(ledger.REVENUE, Decimal("5.00")),
                ],
            ),
        )
    for statement in (
        "UPDATE ledger_entries SET amount = amount * 2",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'edited'",
        "DELETE FROM ledger_transactions",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with platform.db.transaction() as session:
                await session.execute(text(statement))


async def test_the_database_refuses_to_commit_an_unbalanced_transaction(
    engine_db: Database,
) -> None:
    """Beneath the code's own check, a deferred trigger checks every transaction at commit."""
    transaction_id = uuid.uuid4()
    with pytest.raises(DBAPIError, match="does not balance"):
        async with engine_db.transaction() as session:
            account = await ledger.account_id(session, ledger.CLEARING, "XTS")
            await session.execute(
                text(
                    "INSERT INTO ledger_transactions (id, key, kind, created_at) "
                    "VALUES (:id, :key, 'raw', now())"
                ),
                {"id": transaction_id, "key": f"raw:{transaction_id}"},
            )
            await session.execute(
                text(
                    "INSERT INTO ledger_entries (transaction_id, account_id, amount) "
                    "VALUES (:id, :account, 1.00)"
                ),
                {"id": transaction_id, "account": account},
            )
    async with engine_db.transaction() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM ledger_transactions WHERE id = :id"), {"id": transaction_id}
        )
    assert left == 0


Step = tuple[str, int, Decimal]
steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["pay", "pay_bouncing", "refund", "cancel", "complete", "payout", "webhooks"]
        ),
        st.integers(min_value=0, max_value=20),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1"), places=2),
    ),
    min_size=1,
    max_size=7,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps, seed=st.integers(min_value=0, max_value=2**32))
async def test_any_sequence_of_payments_refunds_and_payouts_keeps_the_books_balanced(
    client: httpx.AsyncClient, platform: Platform, sequence: list[Step], seed: int
) -> None:
    order = random.Random(seed)  # webhook order and duplicates, reproducible from the example
    state = _STATE.setdefault(
        id(platform), {"calendar": None, "slots": itertools.count(), "paid": []}
    )
    if state["calendar"] is None:
        state["calendar"] = await open_calendar(client, platform)
    calendar = state["calendar"]
    paid: list = state["paid"]
    for action, index, fraction in sequence:
        if action in ("pay", "pay_bouncing"):
            slot = next(state["slots"])
            method = "pm_card_refund_fails" if action == "pay_bouncing" else "pm_card_visa"
            paid.append(
                await paid_booking(
                    client,
                    platform,
                    calendar=calendar,
                    days=3 + slot // 3,
                    hour=9 + slot % 3,
                    method=method,
                )
            )
        elif action == "refund" and paid:
            target = paid[index % len(paid)]
            payment = (
                await client.get(f"/v1/payments/{target.payment_id}", headers=target.seeker)
            ).json()["data"]
            left = Decimal(payment["amount"]) - Decimal(payment["refundedAmount"])
            amount = max(Decimal("0.01"), (left * fraction).quantize(Decimal("0.01"), ROUND_DOWN))
            answer = await client.post(
                "/v1/payments/refund",
                json={"paymentId": target.payment_id, "amount": str(amount)},
                headers=calendar.admin,
            )
            assert answer.status_code in (201, 409, 422), answer.text
        elif action == "cancel" and paid:
            target = paid[index % len(paid)]
            await client.post(
                f"/v1/bookings/{target.booking_id}/cancel",
                json={"reason": "x"},
                headers=target.seeker,
            )
            await run_job(platform, tasks.refund_booking, booking_id=target.booking_id)
        elif action == "complete" and paid:
            target = paid[index % len(paid)]
            async with platform.db.transaction() as session:
                await session.execute(
                    text(
                        "UPDATE bookings SET status = 'completed', completed_at = now() - "
                        "interval '30 days' WHERE id = :id AND status = 'confirmed'"
                    ),
                    {"id": target.booking_id},
                )
            await run_job(platform, tasks.release_earnings, timestamp=0)
        elif action == "payout":
            await tasks.pay_out(platform)
        elif action == "webhooks":
            events = await sandbox(platform).undelivered()
            chosen = events + order.sample(events, k=len(events) // 2)  # some twice
            order.shuffle(chosen)
            for event in chosen:
                assert (await deliver(client, platform, event)).status_code == 200
        await books_balance(platform)


_STATE: dict[int, dict] = {}
