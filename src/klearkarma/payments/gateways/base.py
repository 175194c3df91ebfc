"""What the payments service needs from a payment processor, whichever one it is.

The service speaks only these types. Each adapter (``sandbox``, ``stripe``, ``razorpay``) turns
its processor's objects into them, converts money to and from the processor's minor units, and
verifies the processor's webhook signatures. Amounts here are always ``Decimal`` major units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from klearkarma.core.errors import AppError

IntentStatus = Literal[
    "requires_payment_method", "requires_action", "processing", "succeeded", "failed", "canceled"
]
RefundState = Literal["pending", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class Intent:
    """The processor's view of one payment: the source of truth about whether money moved."""

    id: str
    amount: Decimal
    currency: str
    status: IntentStatus
    client_secret: str | None = None
    payment_method: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    next_action_url: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    id: str
    intent_id: str
    amount: Decimal
    currency: str
    status: RefundState


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """A verified webhook: what happened and to which intent or refund."""

    id: str
    type: str
    created: datetime
    intent_id: str | None = None
    refund_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


class InvalidWebhook(AppError):
    """A webhook whose signature, timestamp or body does not check out; it changes nothing."""

    status_code = 400
    code = "BAD_REQUEST"
    default_message = "The webhook signature could not be verified."


class UnknownPaymentMethod(AppError):
    status_code = 422
    code = "VALIDATION_ERROR"
    default_message = "Unknown payment method."


class GatewayUnavailable(AppError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    default_message = "The payment processor is not answering; try again shortly."


class PaymentGateway(Protocol):
    """A payment processor. Every changing call takes an idempotency key, so a retry after a
    timeout can never charge or refund twice."""

    name: str

    async def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        reference: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> Intent: ...

    async def confirm_intent(
        self, intent_id: str, payment_method: str, *, idempotency_key: str
    ) -> Intent: ...

    async def retrieve_intent(self, intent_id: str) -> Intent: ...

    async def refund(
        self, intent_id: str, amount: Decimal, currency: str, *, idempotency_key: str
    ) -> GatewayRefund: ...

    async def retrieve_refund(self, refund_id: str) -> GatewayRefund: ...

    async def list_intents(self, since: datetime) -> list[Intent]: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> GatewayEvent: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    status: Literal["paid", "pending", "failed"]
    failure_reason: str | None = None


class PayoutProvider(Protocol):
    """Sends a practitioner's money to their bank (RazorpayX, Stripe Connect, …)."""

    name: str

    async def transfer(
        self,
        *,
        payout_id: str,
        practitioner_id: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
    ) -> Transfer: ...

    async def retrieve(self, transfer_id: str) -> Transfer: ...


def minor_units(amount: Decimal, currency: str) -> int:
    """Paise, cents: what Stripe and Razorpay count in (zero-decimal currencies as they are)."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL else 2
    return int((amount * (10**exponent)).to_integral_value())


def major_units(amount: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in ZERO_DECIMAL else 2
    value: Decimal = (Decimal(amount) / (10**exponent)).quantize(Decimal("0.01"))
    return value


ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})
