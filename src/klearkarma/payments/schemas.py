"""Request and response bodies of the payments API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from klearkarma.core.schemas import ApiInput, ApiModel
from klearkarma.payments.models import (
    PaymentPurpose,
    PaymentStatus,
    PayoutStatus,
    PlanKind,
    PurchaseStatus,
    RefundStatus,
)


class IntentIn(ApiInput):
    """Pay for a pending booking (``bookingId``) or buy a plan (``planId``)."""

    booking_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    auto_renew: bool = True

    def target_errors(self) -> list[tuple[str, str]]:
        """Exactly one of the two; the error names the field a client most likely meant."""
        if self.booking_id is None and self.plan_id is None:
            return [("bookingId", "Field required: the booking to pay for (or a planId).")]
        if self.booking_id is not None and self.plan_id is not None:
            return [("planId", "Give either a bookingId or a planId, not both.")]
        return []


class IntentOut(ApiModel):
    payment_intent_id: str
    client_secret: str | None
    payment_id: uuid.UUID
    amount: Decimal
    currency: str
    status: PaymentStatus
    gateway: str


class ConfirmIn(ApiInput):
    payment_intent_id: str = Field(min_length=1, max_length=200)
    payment_method: str = Field(min_length=1, max_length=500)


class ConfirmOut(ApiModel):
    payment_id: uuid.UUID
    status: PaymentStatus
    booking_status: str | None
    next_action_url: str | None = None


class AuthenticateIn(ApiInput):
    approve: bool = True


class RefundIn(ApiInput):
    payment_id: uuid.UUID
    amount: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2)


class RefundOut(ApiModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount: Decimal
    currency: str
    status: RefundStatus
    reason: str
    created_at: datetime


class PaymentOut(ApiModel):
    id: uuid.UUID
    purpose: PaymentPurpose
    booking_id: uuid.UUID | None
    purchase_id: uuid.UUID | None
    amount: Decimal
    currency: str
    status: PaymentStatus
    gateway: str
    payment_intent_id: str
    payment_method: str | None
    refunded_amount: Decimal
    failure_code: str | None
    failure_message: str | None
    receipt_number: str | None
    receipt_url: str | None
    created_at: datetime
    completed_at: datetime | None
    refunds: list[RefundOut]


class EarningsOut(ApiModel):
    available: Decimal
    pending: Decimal
    paid_out: Decimal
    currency: str


class PayoutOut(ApiModel):
    id: uuid.UUID
    practitioner_id: uuid.UUID
    amount: Decimal
    currency: str
    status: PayoutStatus
    provider: str
    failure_reason: str | None
    created_at: datetime
    paid_at: datetime | None


class PlanIn(ApiInput):
    service_id: uuid.UUID
    kind: PlanKind
    name: str = Field(min_length=2, max_length=120)
    sessions: int = Field(ge=1, le=100)
    period_days: int = Field(30, ge=1, le=730)
    price: Decimal = Field(gt=0, max_digits=12, decimal_places=2)


class PlanOut(ApiModel):
    id: uuid.UUID
    practitioner_id: uuid.UUID
    service_id: uuid.UUID
    kind: PlanKind
    name: str
    sessions: int
    period_days: int
    price: Decimal
    currency: str
    is_active: bool


class PurchaseOut(ApiModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    kind: PlanKind
    status: PurchaseStatus
    credits_total: int
    credits_used: int
    credits_left: int
    period_start: datetime | None
    period_end: datetime | None
    auto_renew: bool


class CreditIn(ApiInput):
    booking_id: uuid.UUID
    purchase_id: uuid.UUID
