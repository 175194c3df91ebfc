"""Reconciliation: compare what the processor says with our payments, refunds and ledger.

Runs daily (and on demand from the admin API or ``klearkarma payments reconcile``). Every
difference is reported in ``reconciliation_reports``; the two a lost webhook explains (a charge
that succeeded but was never applied, a refund still pending here) are also healed through the
same idempotent ``apply`` functions the webhooks use, and reported as healed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.cache import CacheBackend
from klearkarma.core.errors import AppError
from klearkarma.payments import audit, service
from klearkarma.payments.gateways.base import PaymentGateway
from klearkarma.payments.models import (
    Payment,
    ReconciliationReport,
    Refund,
    RefundStatus,
)

log = structlog.get_logger("klearkarma.payments.reconcile")


async def reconcile(
    session: AsyncSession,
    gateway: PaymentGateway,
    cache: CacheBackend,
    *,
    since: timedelta = timedelta(days=3),
) -> ReconciliationReport:
    start = datetime.now(UTC) - since
    intents = await gateway.list_intents(start)
    ours = {
        p.gateway_payment_id: p
        for p in await session.scalars(
            select(Payment)
            .where(
                Payment.gateway == gateway.name, Payment.created_at >= start - timedelta(hours=1)
            )
            .with_for_update()
        )
    }
    mismatches: list[dict[str, Any]] = []
    for intent in intents:
        payment = ours.pop(intent.id, None)
        if payment is None:
            if intent.status == "succeeded":
                mismatches.append({"kind": "unknown_charge", "intent": intent.id})
            continue
        if intent.amount != payment.amount or intent.currency != payment.currency:
            mismatches.append(
                {
                    "kind": "amount_mismatch",
                    "payment": str(payment.id),
                    "ours": f"{payment.amount} {payment.currency}",
                    "gateway": f"{intent.amount} {intent.currency}",
                }
            )
            continue
        settled = payment.status in service.SETTLED
        if intent.status == "succeeded" and not settled:
            await service.apply_intent(session, gateway, cache, payment, intent)
            mismatches.append(
                {"kind": "unsettled_charge", "payment": str(payment.id), "healed": True}
            )
        elif settled and intent.status != "succeeded":
            mismatches.append(
                {
                    "kind": "settled_without_charge",
                    "payment": str(payment.id),
                    "gateway": intent.status,
                }
            )
    for payment in ours.values():
        if payment.status in service.SETTLED:
            mismatches.append({"kind": "missing_at_gateway", "payment": str(payment.id)})
    mismatches += await _pending_refunds(session, gateway)
    mismatches += [
        {"kind": "ledger", "problem": problem} for problem in await audit.verify(session)
    ]
    report = ReconciliationReport(
        gateway=gateway.name,
        ran_at=datetime.now(UTC),
        checked=len(intents),
        mismatches=mismatches,
    )
    session.add(report)
    await session.flush()
    log.info("payments.reconciled", checked=len(intents), mismatches=len(mismatches))
    return report


async def _pending_refunds(session: AsyncSession, gateway: PaymentGateway) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    rows = await session.execute(
        select(Refund, Payment)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Refund.status == RefundStatus.PENDING,
            Refund.gateway_refund_id.is_not(None),
            Payment.gateway == gateway.name,
        )
        .with_for_update(of=[Refund, Payment])
    )
    for refund, payment in rows:
        assert refund.gateway_refund_id is not None
        try:
            answer = await gateway.retrieve_refund(refund.gateway_refund_id)
        except AppError:
            found.append({"kind": "refund_unknown_at_gateway", "refund": str(refund.id)})
            continue
        if answer.status != "pending":
            await service.apply_refund(session, payment, refund, answer)
            found.append(
                {"kind": "refund_status_lagging", "refund": str(refund.id), "healed": True}
            )
    return found


async def latest(session: AsyncSession, limit: int = 10) -> list[ReconciliationReport]:
    rows = await session.scalars(
        select(ReconciliationReport).order_by(ReconciliationReport.ran_at.desc()).limit(limit)
    )
    return list(rows)
