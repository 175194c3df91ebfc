"""The double-entry ledger: every movement of money is a balanced set of signed entries.

Sign convention: a positive amount debits an account, a negative amount credits it; every
transaction sums to zero. Balances are never stored, only derived from entries.

Accounts (one per currency):

=============================  =======  ==============================================
code                           normal   holds
=============================  =======  ==============================================
``gateway_clearing``           debit    money the processor holds for us
``platform_revenue``           credit   the platform's commission
``practitioner_pending:<id>``  credit   earnings of sessions not yet past the hold period
``practitioner_available:<id>`` credit  earnings ready for the next payout
``refunds_payable``            credit   refunds granted, not yet confirmed by the processor
``payouts_in_transit``         credit   payouts sent, not yet confirmed by the provider
``prepaid_credits``            credit   money for plan credits not yet spent on sessions
=============================  =======  ==============================================
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, Payment

CLEARING = "gateway_clearing"
REVENUE = "platform_revenue"
REFUNDS = "refunds_payable"
PAYOUTS = "payouts_in_transit"
PREPAID = "prepaid_credits"
ZERO = Decimal("0.00")


def pending_of(practitioner_id: uuid.UUID) -> str:
    return f"practitioner_pending:{practitioner_id}"


def available_of(practitioner_id: uuid.UUID) -> str:
    return f"practitioner_available:{practitioner_id}"


def earnings_of(payment: Payment) -> str:
    """Where a payment's practitioner share sits now: pending until released, then available
    (a refund or a returned credit takes its share back from there)."""
    assert payment.practitioner_id is not None
    if payment.released_at is not None:
        return available_of(payment.practitioner_id)
    return pending_of(payment.practitioner_id)


class Unbalanced(ValueError):
    """A posting whose entries do not sum to zero: a programming error, never user input."""


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    amount: Decimal  # positive debit, negative credit


def debit(account: str, amount: Decimal) -> Line:
    return Line(account, amount)


def credit(account: str, amount: Decimal) -> Line:
    return Line(account, -amount)


async def account_id(session: AsyncSession, code: str, currency: str) -> int:
    """The account's id, opening it on first use (concurrent openers agree on one row)."""
    found = await session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.code == code, LedgerAccount.currency == currency
        )
    )
    if found is not None:
        return found
    kind, _, owner = code.partition(":")
    await session.execute(
        insert(LedgerAccount)
        .values(
            code=code, kind=kind, owner_id=uuid.UUID(owner) if owner else None, currency=currency
        )
        .on_conflict_do_nothing()
    )
    opened = await session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.code == code, LedgerAccount.currency == currency
        )
    )
    assert opened is not None
    return opened


@dataclass(frozen=True, slots=True)
class Posting:
    """One movement to record. ``key`` names it uniquely (``capture:<payment id>``), so posting
    the same movement again, from a retried job or a redelivered webhook, records nothing."""

    key: str
    kind: str
    currency: str
    lines: Sequence[Line]
    payment_id: uuid.UUID | None = None
    refund_id: uuid.UUID | None = None
    payout_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = None
    memo: str | None = None


async def post(session: AsyncSession, posting: Posting) -> LedgerTransaction | None:
    """Record one balanced transaction; ``None`` when its key was already posted (a retry)."""
    entries = [line for line in posting.lines if line.amount != 0]
    if sum((line.amount for line in entries), ZERO) != 0 or len(entries) < 2:
        raise Unbalanced(f"{posting.kind} {posting.key}: {entries}")
    currency = posting.currency
    transaction_id = await session.scalar(
        insert(LedgerTransaction)
        .values(
            id=uuid.uuid4(),
            key=posting.key,
            kind=posting.kind,
            payment_id=posting.payment_id,
            refund_id=posting.refund_id,
            payout_id=posting.payout_id,
            reverses_id=posting.reverses_id,
            memo=posting.memo,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(LedgerTransaction.id)
    )
    if transaction_id is None:
        return None
    for line in entries:
        session.add(
            LedgerEntry(
                transaction_id=transaction_id,
                account_id=await account_id(session, line.account, currency),
                amount=line.amount,
            )
        )
    await session.flush()
    return await session.get(LedgerTransaction, transaction_id)


async def reverse(session: AsyncSession, transaction_id: uuid.UUID, *, memo: str) -> None:
    """Undo a transaction by posting its mirror image: the ledger keeps both."""
    original = await session.get(LedgerTransaction, transaction_id)
    assert original is not None
    rows = (
        await session.execute(
            select(LedgerAccount.code, LedgerAccount.currency, LedgerEntry.amount)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerEntry.transaction_id == transaction_id)
        )
    ).all()
    await post(
        session,
        Posting(
            key=f"reversal:{original.key}",
            kind=f"{original.kind}.reversal",
            currency=rows[0].currency,
            lines=[Line(code, -amount) for code, _, amount in rows],
            payment_id=original.payment_id,
            refund_id=original.refund_id,
            payout_id=original.payout_id,
            reverses_id=original.id,
            memo=memo,
        ),
    )


async def balances(session: AsyncSession, codes: Sequence[str]) -> dict[tuple[str, str], Decimal]:
    """Debit balances of several accounts, by (code, currency)."""
    rows = await session.execute(
        select(LedgerAccount.code, LedgerAccount.currency, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.code.in_(codes))
        .group_by(LedgerAccount.code, LedgerAccount.currency)
    )
    return {(code, currency): Decimal(total) for code, currency, total in rows}


async def pending_for_payments(
    session: AsyncSession, payments: list[Payment]
) -> dict[uuid.UUID, Decimal]:
    """What each payment's transactions put on its practitioner's pending earnings, in one query
    (the hourly release reads hundreds at a time)."""
    codes = {p.id: pending_of(p.practitioner_id) for p in payments if p.practitioner_id}
    if not codes:
        return {}
    rows = await session.execute(
        select(LedgerTransaction.payment_id, LedgerAccount.code, func.sum(LedgerEntry.amount))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(
            LedgerTransaction.payment_id.in_(list(codes)),
            LedgerAccount.code.in_(set(codes.values())),
        )
        .group_by(LedgerTransaction.payment_id, LedgerAccount.code)
    )
    posted = dict.fromkeys(codes, ZERO)
    for payment_id, code, total in rows:
        if payment_id in codes and codes[payment_id] == code:  # its own practitioner's account
            posted[payment_id] = Decimal(total)
    return posted
