"""``klearkarma ledger verify``: every invariant the books must hold, checked from scratch.

Each check recomputes a figure two independent ways (the ledger's entries, and the payments,
refunds and payouts tables) and reports where they differ. An empty list means the books balance.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.payments import ledger

ZERO = Decimal("0.00")

_UNBALANCED = text(
    """
    SELECT t.id, t.key, coalesce(sum(e.amount), 0) AS total, count(e.id) AS lines
    FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
    GROUP BY t.id, t.key
    HAVING coalesce(sum(e.amount), 0) <> 0 OR count(e.id) < 2
    """
)
_MIXED_CURRENCY = text(
    """
    SELECT e.transaction_id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
    GROUP BY e.transaction_id HAVING count(DISTINCT a.currency) > 1
    """
)
_BAD_REVERSALS = text(
    """
    SELECT r.key FROM ledger_transactions r
    WHERE r.reverses_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM ledger_entries e
        WHERE e.transaction_id IN (r.id, r.reverses_id)
        GROUP BY e.account_id HAVING sum(e.amount) <> 0)
    """
)
_BALANCES = text(
    """
    SELECT a.code, a.kind, a.owner_id, a.currency, coalesce(sum(e.amount), 0) AS balance
    FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
    GROUP BY a.id
    """
)
_CAPTURES = text(
    """
    SELECT p.id, p.amount, p.status,
           coalesce((SELECT sum(e.amount) FROM ledger_transactions t
                     JOIN ledger_entries e ON e.transaction_id = t.id
                     JOIN ledger_accounts a ON a.id = e.account_id
                     WHERE t.key = 'capture:' || p.id AND e.amount > 0
                       AND a.code IN (:clearing, :prepaid)), 0)
               AS captured
    FROM payments p
    """
)
_REFUND_TOTALS = text(
    """
    SELECT p.id, p.refunded_amount,
           coalesce((SELECT sum(r.amount) FROM refunds r
                     WHERE r.payment_id = p.id AND r.status <> 'failed'), 0) AS refunds
    FROM payments p
    """
)
_EXPECTED = text(
    """
    SELECT
      coalesce((SELECT sum(amount) FROM payments
                WHERE status IN ('completed', 'partially_refunded', 'refunded')
                  AND purpose <> 'credit' AND currency = :currency), 0) AS collected,
      coalesce((SELECT sum(commission_amount) FROM payments
                WHERE status IN ('completed', 'partially_refunded', 'refunded')
                  AND purpose <> 'plan' AND currency = :currency), 0) AS commission,
      coalesce((SELECT sum(r.amount) FROM refunds r JOIN payments p ON p.id = r.payment_id
                WHERE r.status = 'succeeded' AND p.purpose <> 'credit'
                  AND r.currency = :currency), 0) AS refunded,
      coalesce((SELECT sum(amount) FROM refunds
                WHERE status = 'pending' AND currency = :currency), 0) AS refunding,
      coalesce((SELECT sum(CASE WHEN p.purpose = 'plan' THEN p.amount ELSE -p.amount END)
                FROM payments p
                WHERE p.status IN ('completed', 'partially_refunded', 'refunded')
                  AND p.purpose IN ('plan', 'credit') AND p.currency = :currency), 0)
        - coalesce((SELECT sum(CASE WHEN p.purpose = 'plan' THEN r.amount ELSE -r.amount END)
                FROM refunds r JOIN payments p ON p.id = r.payment_id
                WHERE r.status <> 'failed' AND p.purpose IN ('plan', 'credit')
                  AND r.currency = :currency), 0) AS prepaid,
      coalesce((SELECT sum(r.commission_amount) FROM refunds r JOIN payments p
                ON p.id = r.payment_id WHERE r.status <> 'failed' AND p.purpose <> 'plan'
                AND r.currency = :currency), 0) AS commission_returned,
      coalesce((SELECT sum(amount) FROM payouts
                WHERE status = 'paid' AND currency = :currency), 0) AS paid_out,
      coalesce((SELECT sum(amount) FROM payouts
                WHERE status = 'processing' AND currency = :currency), 0) AS in_transit
    """
)
_PRACTITIONER_EXPECTED = text(
    """
    SELECT practitioner_id, sum(net) AS net FROM (
      SELECT practitioner_id, amount - commission_amount AS net FROM payments
       WHERE status IN ('completed', 'partially_refunded', 'refunded') AND purpose <> 'plan'
         AND practitioner_id IS NOT NULL AND currency = :currency
      UNION ALL
      SELECT p.practitioner_id, -(r.amount - r.commission_amount) FROM refunds r
        JOIN payments p ON p.id = r.payment_id
       WHERE r.status <> 'failed' AND p.purpose <> 'plan' AND p.practitioner_id IS NOT NULL
         AND r.currency = :currency
      UNION ALL
      SELECT practitioner_id, -amount FROM payouts
       WHERE status IN ('paid', 'processing') AND currency = :currency
    ) movements GROUP BY practitioner_id
    """
)
_TRIGGERS = text(
    """
    SELECT tgname FROM pg_trigger WHERE tgname IN
      ('ledger_transactions_append_only', 'ledger_entries_append_only', 'ledger_entries_balance')
    """
)


async def verify(session: AsyncSession) -> list[str]:
    """Every broken invariant, in words; an empty list when the books are right."""
    problems: list[str] = []
    for row in await session.execute(_UNBALANCED):
        problems.append(f"transaction {row.key} sums to {row.total} over {row.lines} entries")
    for row in await session.execute(_MIXED_CURRENCY):
        problems.append(f"transaction {row.transaction_id} mixes currencies")
    for row in await session.execute(_BAD_REVERSALS):
        problems.append(f"reversal {row.key} does not mirror what it reverses")
    triggers = {row.tgname for row in await session.execute(_TRIGGERS)}
    if len(triggers) != 3:
        problems.append(f"ledger guard triggers missing: found only {sorted(triggers)}")

    for row in await session.execute(
        _CAPTURES, {"clearing": ledger.CLEARING, "prepaid": ledger.PREPAID}
    ):
        settled = row.status in ("completed", "partially_refunded", "refunded")
        if settled and row.captured not in (row.amount, ZERO):
            problems.append(f"payment {row.id} captured {row.captured}, not {row.amount}")
        if not settled and row.captured != 0:
            problems.append(f"payment {row.id} is {row.status} but the ledger captured it")
    for row in await session.execute(_REFUND_TOTALS):
        if row.refunded_amount != row.refunds:
            problems.append(
                f"payment {row.id} says {row.refunded_amount} refunded, refunds say {row.refunds}"
            )

    accounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    earnings: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in await session.execute(_BALANCES):
        accounts[row.currency][row.code] = Decimal(row.balance)
        if row.kind.startswith("practitioner_"):
            earnings[row.currency][str(row.owner_id)] += Decimal(row.balance)
    for currency, balances in accounts.items():
        problems += await _check_currency(session, currency, balances, earnings[currency])
    return problems


async def _check_currency(
    session: AsyncSession,
    currency: str,
    balances: dict[str, Decimal],
    earnings: dict[str, Decimal],
) -> list[str]:
    problems: list[str] = []
    figures = (await session.execute(_EXPECTED, {"currency": currency})).one()

    def expect(code: str, expected: Decimal) -> None:
        found = balances.get(code, ZERO)
        if found != expected:
            problems.append(f"{code} ({currency}) is {found}, expected {expected}")

    expect(ledger.CLEARING, figures.collected - figures.refunded - figures.paid_out)
    expect(ledger.REVENUE, -(figures.commission - figures.commission_returned))
    expect(ledger.REFUNDS, -figures.refunding)
    expect(ledger.PAYOUTS, -figures.in_transit)
    expect(ledger.PREPAID, -figures.prepaid)
    expected = {
        str(row.practitioner_id): Decimal(row.net)
        for row in await session.execute(_PRACTITIONER_EXPECTED, {"currency": currency})
    }
    for practitioner in set(expected) | set(earnings):
        owed = -earnings.get(practitioner, ZERO)
        if owed != expected.get(practitioner, ZERO):
            problems.append(
                f"practitioner {practitioner} ({currency}) is owed {owed} by the ledger, "
                f"{expected.get(practitioner, ZERO)} by the records"
            )
    if sum(balances.values(), ZERO) != 0:
        problems.append(f"the {currency} trial balance is off by {sum(balances.values(), ZERO)}")
    return problems
