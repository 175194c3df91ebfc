"""Stripe behind the ``PaymentGateway`` interface, on the official SDK's async client.

PaymentIntents are our intents, Stripe Refunds our refunds. Every changing call carries the
idempotency key it is given as Stripe's ``Idempotency-Key``, so a retry after a timeout replays
Stripe's first answer instead of charging or refunding again. Webhooks are verified with the SDK's
``WebhookSignature`` (``t=<unix>,v1=<HMAC-SHA256 of "t.body">``, 300 s tolerance); Stripe re-signs
every retry, so a fresh delivery is always within the tolerance.

Errors: the network, Stripe's 5xx, rate limits and a rejected API key become
``GatewayUnavailable`` (503, try again); a declined card on confirm is not an error but a
``failed`` intent; an unknown object is ``NotFound``; a request Stripe refuses in the current
state (refunding more than was paid, …) is ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import orjson
import stripe
import structlog

from klearkarma.config import Settings
from klearkarma.core.errors import AppError, Conflict, NotFound
from klearkarma.payments.gateways.base import (
    GatewayEvent,
    GatewayRefund,
    GatewayUnavailable,
    Intent,
    IntentStatus,
    InvalidWebhook,
    RefundState,
    UnknownPaymentMethod,
    major_units,
    minor_units,
)

log = structlog.get_logger("klearkarma.payments.stripe")

SIGNATURE_HEADER = "stripe-signature"
TOLERANCE_SECONDS = 300
RETURN_PATH = "/bookings/payment-return"  # the web app page that re-reads the payment

# Stripe's intent statuses that map one to one; ``requires_payment_method`` depends on whether a
# charge was attempted (see ``intent_status``).
_STATUSES: dict[str, IntentStatus] = {
    "requires_confirmation": "requires_payment_method",
    "requires_action": "requires_action",
    "requires_capture": "processing",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "canceled",
}
_REFUND_STATUSES: dict[str, RefundState] = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}
_INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.amount_capturable_updated",
    }
)
_REFUND_EVENTS = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)


def _id(value: Any) -> str | None:
    """An id whether Stripe sent the object expanded or not."""
    if isinstance(value, Mapping):
        return cast(str | None, value.get("id"))
    return cast(str | None, value)


def intent_status(data: Mapping[str, Any]) -> IntentStatus:
    """Our status for a PaymentIntent. After a declined attempt Stripe moves the intent back to
    ``requires_payment_method`` and keeps the decline in ``last_payment_error``: a failure."""
    status = data["status"]
    if status == "requires_payment_method":
        return "failed" if data.get("last_payment_error") else "requires_payment_method"
    try:
        return _STATUSES[status]
    except KeyError as exc:
        raise GatewayUnavailable(f"Stripe sent an unknown intent status: {status}.") from exc


def to_intent(data: Mapping[str, Any]) -> Intent:
    status = intent_status(data)
    error = data.get("last_payment_error") or {}
    next_action = data.get("next_action") or {}
    redirect = next_action.get("redirect_to_url") or {}
    metadata = data.get("metadata") or {}
    currency = str(data["currency"]).upper()
    return Intent(
        id=data["id"],
        amount=major_units(int(data["amount"]), currency),
        currency=currency,
        status=status,
        client_secret=data.get("client_secret"),
        payment_method=_id(data.get("payment_method")) or _id(error.get("payment_method")),
        failure_code=(error.get("decline_code") or error.get("code"))
        if status == "failed"
        else None,
        failure_message=error.get("message") if status == "failed" else None,
        next_action_url=redirect.get("url") if status == "requires_action" else None,
        reference=metadata.get("reference"),
    )


def to_refund(data: Mapping[str, Any]) -> GatewayRefund:
    currency = str(data["currency"]).upper()
    intent_id = _id(data.get("payment_intent"))
    if intent_id is None:
        raise NotFound(f"Stripe refund {data['id']} belongs to no PaymentIntent.")
    return GatewayRefund(
        id=data["id"],
        intent_id=intent_id,
        amount=major_units(int(data["amount"]), currency),
        currency=currency,
        status=_REFUND_STATUSES.get(data.get("status") or "pending", "pending"),
    )


def _plain(obj: stripe.StripeObject) -> dict[str, Any]:
    return obj.to_dict()


def _unavailable(exc: stripe.StripeError) -> GatewayUnavailable:
    log.warning(
        "stripe.unavailable",
        error=type(exc).__name__,
        status=exc.http_status,
        request_id=exc.request_id,
    )
    return GatewayUnavailable()


def _translate(exc: stripe.StripeError, *, missing: str) -> AppError:
    """Our error for a Stripe error that is not a card decline."""
    if isinstance(
        exc,
        stripe.APIConnectionError
        | stripe.APIError
        | stripe.RateLimitError
        | stripe.AuthenticationError
        | stripe.PermissionError,
    ):
        return _unavailable(exc)
    if isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing":
        return NotFound(missing)
    if isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError | stripe.CardError):
        return Conflict(exc.user_message or "Stripe refused the request.")
    return _unavailable(exc)


class StripeGateway:
    """A ``PaymentGateway`` on Stripe's PaymentIntents and Refunds."""

    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        return_url: str | None = None,
        api_base: str | None = None,
        timeout: float = 30.0,
        max_network_retries: int = 2,
        tolerance: int = TOLERANCE_SECONDS,
    ) -> None:
        self.webhook_secret = webhook_secret
        self.return_url = return_url
        self.tolerance = tolerance
        self._http = stripe.HTTPXClient(timeout=timeout)
        self.client = stripe.StripeClient(
            secret_key,
            http_client=self._http,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        if settings.stripe_secret_key is None or settings.stripe_webhook_secret is None:
            raise RuntimeError(
                "KLEARKARMA_PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY and "
                "STRIPE_WEBHOOK_SECRET."
            )
        return cls(
            settings.stripe_secret_key.get_secret_value(),
            settings.stripe_webhook_secret.get_secret_value(),
            return_url=settings.public_url.rstrip("/") + RETURN_PATH,
        )

    # PaymentGateway.

    async def create_intent(
        self,
        *,
        amount: Decimal,
        currency: str,
        reference: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> Intent:
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": minor_units(amount, currency),
            "currency": currency.lower(),
            "description": reference,
            "metadata": {**metadata, "reference": reference},
        }
        try:
            created = await self.client.v1.payment_intents.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _translate(exc, missing="Stripe could not find the intent's objects.") from exc
        return to_intent(_plain(created))

    async def confirm_intent(
        self, intent_id: str, payment_method: str, *, idempotency_key: str
    ) -> Intent:
        """Charge the intent. A declined card comes back as a ``failed`` intent; an intent
        Stripe already settled is returned as it stands (confirming twice charges once)."""
        params: stripe.params.PaymentIntentConfirmParams = {"payment_method": payment_method}
        if self.return_url is not None:
            params["return_url"] = self.return_url
        try:
            confirmed = await self.client.v1.payment_intents.confirm_async(
                intent_id, params, {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:
            declined = _error_intent(exc)
            if declined is not None:
                return to_intent(declined)
            return await self.retrieve_intent(intent_id)
        except stripe.InvalidRequestError as exc:
            if exc.code == "payment_intent_unexpected_state":
                return await self.retrieve_intent(intent_id)
            if exc.code == "resource_missing" and (exc.error and exc.error.param) == (
                "payment_method"
            ):
                raise UnknownPaymentMethod(
                    details=[{"field": "paymentMethod", "message": exc.user_message}]
                ) from exc
            raise _translate(exc, missing=f"No such Stripe intent: {intent_id}") from exc
        except stripe.StripeError as exc:
            raise _translate(exc, missing=f"No such Stripe intent: {intent_id}") from exc
        return to_intent(_plain(confirmed))

    async def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            found = await self.client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.StripeError as exc:
            raise _translate(exc, missing=f"No such Stripe intent: {intent_id}") from exc
        return to_intent(_plain(found))

    async def refund(
        self, intent_id: str, amount: Decimal, currency: str, *, idempotency_key: str
    ) -> GatewayRefund:
        params: stripe.params.RefundCreateParams = {
            "payment_intent": intent_id,
            "amount": minor_units(amount, currency),
        }
        try:
            created = await self.client.v1.refunds.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _translate(exc, missing=f"No such Stripe intent: {intent_id}") from exc
        return to_refund(_plain(created))

    async def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        try:
            found = await self.client.v1.refunds.retrieve_async(refund_id)
        except stripe.StripeError as exc:
            raise _translate(exc, missing=f"No such Stripe refund: {refund_id}") from exc
        return to_refund(_plain(found))

    async def list_intents(self, since: datetime) -> list[Intent]:
        """Every intent created at or after ``since``, oldest first (reconciliation)."""
        params: stripe.params.PaymentIntentListParams = {
            "created": {"gte": int(since.timestamp())},
            "limit": 100,
        }
        try:
            page = await self.client.v1.payment_intents.list_async(params)
            found = [to_intent(_plain(item)) async for item in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise _translate(exc, missing="Stripe could not list intents.") from exc
        found.reverse()  # Stripe lists newest first
        return found

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        header = _header(headers, SIGNATURE_HEADER)
        if not header:
            raise InvalidWebhook("The webhook has no Stripe-Signature header.")
        try:
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"), header, self.webhook_secret, self.tolerance
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
            raise InvalidWebhook(_reason(exc)) from exc
        try:
            return to_event(orjson.loads(body))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook("The webhook body is not a Stripe event.") from exc

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]


def to_event(payload: Mapping[str, Any]) -> GatewayEvent:
    """What a verified Stripe event is about: an intent, or a refund of one."""
    kind = payload["type"]
    obj = payload["data"]["object"]
    intent_id = refund_id = None
    if kind in _INTENT_EVENTS:
        intent_id = obj["id"]
    elif kind in _REFUND_EVENTS:
        intent_id, refund_id = _id(obj.get("payment_intent")), obj["id"]
    elif kind == "charge.refunded":
        intent_id = _id(obj.get("payment_intent"))
        refunds = (obj.get("refunds") or {}).get("data") or []
        refund_id = refunds[0]["id"] if refunds else None  # newest first, when Stripe sends it
    return GatewayEvent(
        id=payload["id"],
        type=kind,
        created=datetime.fromtimestamp(payload["created"], UTC),
        intent_id=intent_id,
        refund_id=refund_id,
        data=obj,
    )


def _error_intent(exc: stripe.StripeError) -> dict[str, Any] | None:
    """The PaymentIntent Stripe attaches to a card error (its state after the decline)."""
    body = exc.json_body
    if isinstance(body, dict):
        intent = (body.get("error") or {}).get("payment_intent")
        if isinstance(intent, dict):
            return intent
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, stripe.SignatureVerificationError) and "tolerance" in str(exc):
        return "The webhook is too old (or from the future); it is refused."
    return InvalidWebhook.default_message
