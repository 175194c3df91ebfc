"""Tables of the payments context: payments, refunds, webhooks, the ledger, payouts and plans.

The ledger is append-only: migration 0007 adds triggers that refuse UPDATE and DELETE on
``ledger_transactions`` and ``ledger_entries``, and a deferred constraint trigger that refuses to
commit a transaction whose entries do not sum to zero. A correction is a new transaction that
reverses an earlier one.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from klearkarma.core.db import Base, Timestamps, UUIDPrimaryKey, str_enum


class PaymentStatus(enum.StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class PaymentPurpose(enum.StrEnum):
    BOOKING = "booking"
    PLAN = "plan"  # a package or a membership period
    CREDIT = "credit"  # a booking paid with a plan's credit, no money moves at the gateway


class Payment(UUIDPrimaryKey, Timestamps, Base):
    """One attempt to collect money for a booking or a plan, mirrored from the gateway."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("gateway", "gateway_payment_id", name="uq_payments_gateway_payment"),
        CheckConstraint("amount >= 0 AND commission_amount >= 0", name="amounts"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunded"),
        Index("ix_payments_payer_id_created_at", "payer_id", "created_at"),
        Index("ix_payments_booking_id", "booking_id"),
        Index(
            "ix_payments_unreleased",
            "completed_at",
            postgresql_where=text(
                "released_at IS NULL AND status IN ('completed', 'partially_refunded')"
            ),
        ),
    )

    purpose: Mapped[PaymentPurpose] = mapped_column(str_enum(PaymentPurpose, "payment_purpose"))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"))
    purchase_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_purchases.id"))
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("practitioners.id"))
    gateway: Mapped[str] = mapped_column(Text)
    gateway_payment_id: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    commission_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"))
    payment_method: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(Text)
    failure_message: Mapped[str | None] = mapped_column(Text)
    refunded_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    receipt_number: Mapped[str | None] = mapped_column(Text, unique=True)
    completed_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(UUIDPrimaryKey, Timestamps, Base):
    """Money going back to the payer; ``commission_amount`` is the platform's share returned."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),)

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    commission_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, "refund_status"))
    reason: Mapped[str] = mapped_column(Text)
    gateway_refund_id: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID | None]


class WebhookEvent(Base):
    """A gateway event we have accepted; the key makes a redelivery a no-op."""

    __tablename__ = "payment_webhook_events"

    gateway: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    type: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class LedgerAccount(Base):
    """An account of the double-entry ledger: its balance is the sum of its entries."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("code", "currency", name="uq_ledger_accounts_code"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(Text)


class LedgerTransaction(UUIDPrimaryKey, Base):
    """One balanced movement of money; ``key`` makes posting the same movement twice a no-op."""

    __tablename__ = "ledger_transactions"

    key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    refund_id: Mapped[uuid.UUID | None]
    payout_id: Mapped[uuid.UUID | None]
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
    memo: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class LedgerEntry(Base):
    """A signed amount on one account: positive is a debit, negative a credit."""

    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("amount <> 0", name="nonzero"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_transactions.id"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class PayoutStatus(enum.StrEnum):
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"


class Payout(UUIDPrimaryKey, Timestamps, Base):
    """A transfer of a practitioner's available earnings to their bank, via the payout provider."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        Index("ix_payouts_practitioner_id_created_at", "practitioner_id", "created_at"),
    )

    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus, "payout_status"))
    provider: Mapped[str] = mapped_column(Text)
    provider_payout_id: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None]


class PlanKind(enum.StrEnum):
    PACKAGE = "package"  # N sessions, paid once, valid for a number of days
    MEMBERSHIP = "membership"  # N sessions per period, renewed until cancelled


class Plan(UUIDPrimaryKey, Timestamps, Base):
    """A practitioner's package or membership for one of their services."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("price > 0 AND sessions > 0 AND period_days > 0", name="positive"),
    )

    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"), index=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    kind: Mapped[PlanKind] = mapped_column(str_enum(PlanKind, "plan_kind"))
    name: Mapped[str] = mapped_column(Text)
    sessions: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)


class PurchaseStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its payment
    ACTIVE = "active"
    CANCELLED = "cancelled"  # a membership that will not renew; credits last to period end
    EXPIRED = "expired"


class PlanPurchase(UUIDPrimaryKey, Timestamps, Base):
    """A seeker's package or membership: credits to spend on the plan's service."""

    __tablename__ = "plan_purchases"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"), index=True)
    seeker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[PurchaseStatus] = mapped_column(str_enum(PurchaseStatus, "purchase_status"))
    credits_total: Mapped[int] = mapped_column(Integer, default=0)
    credits_used: Mapped[int] = mapped_column(Integer, default=0)
    unit_value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    auto_renew: Mapped[bool] = mapped_column(default=False)
    payment_method: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReconciliationReport(UUIDPrimaryKey, Base):
    """One run of the reconciliation job: what it compared and every mismatch it found."""

    __tablename__ = "reconciliation_reports"

    gateway: Mapped[str] = mapped_column(Text)
    ran_at: Mapped[datetime]
    checked: Mapped[int] = mapped_column(Integer)
    mismatches: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class SandboxObject(Base):
    """The sandbox gateway's own records (intents, refunds, idempotency keys).

    The sandbox plays an external processor, so it writes through its own connection and commits
    on its own: a charge it made survives even when our transaction that asked for it rolls back,
    exactly the crash the webhooks must heal.
    """

    __tablename__ = "sandbox_gateway_objects"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(index=True)


class SandboxEvent(Base):
    """A webhook the sandbox owes our endpoint; kept until delivered so a restart resends it."""

    __tablename__ = "sandbox_gateway_events"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
