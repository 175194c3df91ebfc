"""Jobs of the payments context: refunds after cancellation, earnings release, payouts,
membership renewals and reconciliation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core import events
from klearkarma.core.events import DomainEvent
from klearkarma.core.jobs import enqueue, task
from klearkarma.payments import payouts, plans, reconcile, service

if TYPE_CHECKING:
    from klearkarma.platform import Platform

log = structlog.get_logger("klearkarma.payments.tasks")


@events.subscribe("booking.cancelled")
async def _on_booking_cancelled(session: AsyncSession, event: DomainEvent) -> None:
    """A cancelled booking may be owed money or a credit: queue the refund with the cancel."""
    await enqueue(session, refund_booking, booking_id=str(event.aggregate_id))


@task("payments.refund_booking", queue="payments")
async def refund_booking(platform: Platform, *, booking_id: str) -> None:
    async with platform.db.transaction() as session:
        await service.refund_cancelled_booking(session, platform.gateway, uuid.UUID(booking_id))


@task("payments.release_earnings", queue="payments", periodic="17 * * * *", retry=False)
async def release_earnings(platform: Platform, *, timestamp: int) -> None:
    """Hourly: earnings of sessions over for the holding period become available."""
    holding = timedelta(days=platform.settings.payout_holding_days)
    async with platform.db.transaction() as session:
        released = await payouts.release_due(session, holding)
    log.info("payments.released", payments=released)


@task("payments.run_payouts", queue="payments", periodic="30 3 * * *", retry=False)
async def run_payouts(platform: Platform, *, timestamp: int) -> None:
    """Daily: one payout per practitioner with available earnings, then send each."""
    await pay_out(platform)


async def pay_out(platform: Platform) -> int:
    async with platform.db.transaction() as session:
        await payouts.create_payouts(
            session, platform.payouts.name, platform.settings.payout_minimum
        )
    async with platform.db.transaction() as session:
        pending = await payouts.processing_ids(session)
    for payout_id in pending:  # each in its own transaction: one failure stops no other
        async with platform.db.transaction() as session:
            await payouts.send(session, platform.payouts, payout_id)
    return len(pending)


@task("payments.renew_memberships", queue="payments", periodic="5 * * * *", retry=False)
async def renew_memberships(platform: Platform, *, timestamp: int) -> None:
    async with platform.db.transaction() as session:
        await plans.renew_due(session, platform.gateway, platform.cache)
        await plans.expire_ended(session)


@task("payments.reconcile", queue="payments", periodic="45 4 * * *", retry=False)
async def reconcile_daily(platform: Platform, *, timestamp: int) -> None:
    async with platform.db.transaction() as session:
        await reconcile.reconcile(session, platform.gateway, platform.cache)
