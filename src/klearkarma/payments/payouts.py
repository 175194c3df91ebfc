"""Practitioners' earnings: pending until the session is over plus a holding period, then
available, then paid out in batches through the payout provider.

The holding period (7 days by default) leaves room for disputes and late refunds before money
leaves the platform. A payout is two steps, each its own transaction: the batch moves available
earnings to ``payouts_in_transit`` and commits, then each payout is sent with its id as the
idempotency key and settled (paid) or reversed (failed). A crash between the two leaves
``processing`` payouts that the next run sends again, never twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import lifecycle as bookings
from klearkarma.core import events
from klearkarma.core.errors import Forbidden, NotFound
from klearkarma.core.pagination import PageParams
from klearkarma.identity.policy import Principal
from klearkarma.payments import ledger
from klearkarma.payments.gateways.base import PayoutProvider, Transfer
from klearkarma.payments.ledger import credit, debit
from klearkarma.payments.models import (
    LedgerAccount,
    LedgerTransaction,
    Payment,
    PaymentPurpose,
    Payout,
    PayoutStatus,
)
from klearkarma.payments.service import SETTLED
from klearkarma.practitioners import service as practitioners

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Earnings:
    available: Decimal
    pending: Decimal
    paid_out: Decimal
    currency: str


async def release_due(session: AsyncSession, holding: timedelta, *, batch: int = 500) -> int:
    """Move the earnings of sessions over for longer than ``holding`` from pending to available."""
    candidates = list(
        await session.scalars(
            select(Payment)
            .where(
                Payment.released_at.is_(None),
                Payment.status.in_(SETTLED),
                Payment.purpose.in_((PaymentPurpose.BOOKING, PaymentPurpose.CREDIT)),
                Payment.booking_id.is_not(None),
            )
            .order_by(Payment.completed_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return 0
    facts = await bookings.settlements(
        session, [p.booking_id for p in candidates if p.booking_id is not None]
    )
    cutoff = datetime.now(UTC) - holding
    due = [
        payment
        for payment in candidates
        if payment.booking_id is not None
        and (finished := facts[payment.booking_id].finished_at) is not None
        and finished <= cutoff
    ]
    posted = await ledger.pending_for_payments(session, due)
    for payment in due:
        await release(session, payment, -posted.get(payment.id, ZERO))
    return len(due)


async def release(session: AsyncSession, payment: Payment, net: Decimal) -> None:
    """Make one payment's remaining pending earnings (``net``) available (idempotent)."""
    assert payment.practitioner_id is not None
    pending = ledger.pending_of(payment.practitioner_id)
    if net != 0:
        await ledger.post(
            session,
            ledger.Posting(
                key=f"release:{payment.id}",
                kind="earnings.release",
                currency=payment.currency,
                lines=[
                    debit(pending, net),
                    credit(ledger.available_of(payment.practitioner_id), net),
                ],
                payment_id=payment.id,
            ),
        )
    payment.released_at = datetime.now(UTC)
    await session.flush()


async def create_payouts(session: AsyncSession, provider: str, minimum: Decimal) -> list[Payout]:
    """One payout per practitioner whose available balance reaches ``minimum``."""
    accounts = list(
        await session.scalars(
            select(LedgerAccount)
            .where(LedgerAccount.kind == "practitioner_available")
            .order_by(LedgerAccount.id)
            .with_for_update(skip_locked=True)  # a concurrent run takes the others
        )
    )
    held = await ledger.balances(session, [account.code for account in accounts])
    payouts = []
    for account in accounts:
        owed = -held.get((account.code, account.currency), ZERO)
        if owed < max(minimum, Decimal("0.01")) or account.owner_id is None:
            continue
        payout = Payout(
            id=uuid.uuid4(),
            practitioner_id=account.owner_id,
            amount=owed,
            currency=account.currency,
            status=PayoutStatus.PROCESSING,
            provider=provider,
        )
        session.add(payout)
        await session.flush()
        await ledger.post(
            session,
            ledger.Posting(
                key=f"payout:{payout.id}",
                kind="payout.send",
                currency=account.currency,
                lines=[debit(account.code, owed), credit(ledger.PAYOUTS, owed)],
                payout_id=payout.id,
            ),
        )
        await events.record(
            session, "payout.created", payout.id, {"amount": owed, "currency": account.currency}
        )
        payouts.append(payout)
    return payouts


async def processing_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Payout.id).where(Payout.status == PayoutStatus.PROCESSING).order_by(Payout.id)
        )
    )


async def send(session: AsyncSession, provider: PayoutProvider, payout_id: uuid.UUID) -> Payout:
    """Send one processing payout and record the provider's answer."""
    payout = await session.get(Payout, payout_id, with_for_update=True)
    if payout is None:
        raise NotFound("Payout not found.")
    if payout.status is not PayoutStatus.PROCESSING:
        return payout
    transfer = await provider.transfer(
        payout_id=str(payout.id),
        practitioner_id=str(payout.practitioner_id),
        amount=payout.amount,
        currency=payout.currency,
        idempotency_key=f"payout:{payout.id}",
    )
    payout.provider_payout_id = transfer.id
    await settle(session, payout, transfer)
    return payout


async def settle(session: AsyncSession, payout: Payout, transfer: Transfer) -> None:
    if payout.status is not PayoutStatus.PROCESSING or transfer.status == "pending":
        return
    if transfer.status == "paid":
        payout.status = PayoutStatus.PAID
        payout.paid_at = datetime.now(UTC)
        await ledger.post(
            session,
            ledger.Posting(
                key=f"payout-paid:{payout.id}",
                kind="payout.paid",
                currency=payout.currency,
                lines=[
                    debit(ledger.PAYOUTS, payout.amount),
                    credit(ledger.CLEARING, payout.amount),
                ],
                payout_id=payout.id,
            ),
        )
    else:  # the bank refused: the earnings are available again
        payout.status = PayoutStatus.FAILED
        payout.failure_reason = transfer.failure_reason
        sent = await session.scalar(
            select(LedgerTransaction.id).where(LedgerTransaction.key == f"payout:{payout.id}")
        )
        assert sent is not None
        await ledger.reverse(session, sent, memo=f"payout failed: {transfer.failure_reason}")
    await events.record(
        session, f"payout.{payout.status.value}", payout.id, {"amount": payout.amount}
    )
    await session.flush()


async def earnings(session: AsyncSession, principal: Principal, currency: str) -> Earnings:
    """The caller's own earnings (practitioners only)."""
    practitioner_id = await practitioners.practitioner_id_of_user(session, principal.user_id)
    if practitioner_id is None:
        raise NotFound("You have no practitioner profile.")
    return await earnings_of(session, practitioner_id, currency)


async def earnings_of(session: AsyncSession, practitioner_id: uuid.UUID, currency: str) -> Earnings:
    found = await ledger.balances(
        session, [ledger.pending_of(practitioner_id), ledger.available_of(practitioner_id)]
    )
    paid = await session.scalar(
        select(func.coalesce(func.sum(Payout.amount), 0)).where(
            Payout.practitioner_id == practitioner_id,
            Payout.status == PayoutStatus.PAID,
            Payout.currency == currency,
        )
    )
    return Earnings(
        available=-found.get((ledger.available_of(practitioner_id), currency), ZERO) + ZERO,
        pending=-found.get((ledger.pending_of(practitioner_id), currency), ZERO) + ZERO,
        paid_out=Decimal(paid or 0).quantize(Decimal("0.01")),
        currency=currency,
    )


async def list_payouts(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[Payout], int]:
    """A practitioner's own payouts; admins see every payout; anyone else is refused."""
    if not (principal.is_admin or principal.can("payouts:read")):
        raise Forbidden("Payouts are for practitioners.")
    query = select(Payout)
    if not principal.is_admin:
        mine = await practitioners.practitioner_id_of_user(session, principal.user_id)
        if mine is None:
            return [], 0
        query = query.where(Payout.practitioner_id == mine)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Payout.created_at.desc(), Payout.id.desc())
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)
