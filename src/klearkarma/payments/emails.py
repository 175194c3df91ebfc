"""What the payer is told by email when money moves: a receipt when a payment completes, a
notice when a refund is granted, and a warning when a membership renewal is declined."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.identity import service as identity
from klearkarma.notifications.mailer import Email
from klearkarma.notifications.service import queue_email
from klearkarma.payments.models import Payment


def amount(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


async def _send(session: AsyncSession, payment: Payment, subject: str, *lines: str) -> None:
    payer = await identity.get_user(session, payment.payer_id)
    if payer is None or not payer.email:  # erased accounts are not written to
        return
    text = "\n\n".join([f"Hi {payer.first_name},", *lines, "— Klear Karma"])
    await queue_email(session, Email(to=[payer.email], subject=subject, text=text))


async def paid(session: AsyncSession, payment: Payment) -> None:
    await _send(
        session,
        payment,
        f"Receipt {payment.receipt_number}: {amount(payment.amount, payment.currency)} paid",
        f"We received {amount(payment.amount, payment.currency)}, paid with "
        f"{payment.payment_method or 'your card'}. Thank you.",
        "Your receipt, with its GST details, is under My bookings (and in the app's payment "
        "history) as a page and as a PDF.",
    )


async def refunded(session: AsyncSession, payment: Payment, refund_amount: Decimal) -> None:
    await _send(
        session,
        payment,
        f"Refund of {amount(refund_amount, payment.currency)} on its way",
        f"We are refunding {amount(refund_amount, payment.currency)} of your payment "
        f"{payment.receipt_number or ''} to the card you paid with.",
        "Banks usually show refunds within 5 to 7 working days.",
    )


async def renewal_declined(session: AsyncSession, payment: Payment, plan_name: str) -> None:
    await _send(
        session,
        payment,
        f"Your {plan_name} membership could not be renewed",
        f"Your card declined the renewal of “{plan_name}” "
        f"({amount(payment.amount, payment.currency)}); the membership has ended.",
        "You can buy it again from the practitioner's page whenever you like.",
    )
