"""Razorpay behind the ``PaymentGateway`` interface, on the official (synchronous) SDK.

Razorpay has no PaymentIntents: an **Order** stands for our intent. ``create_intent`` creates the
order; its id is the intent id and also the "client secret" that Razorpay Checkout needs (with our
key id). Checkout hands the browser ``razorpay_payment_id`` and ``razorpay_signature``; the client
confirms with ``paymentMethod = "<razorpay_payment_id>:<razorpay_signature>"``, we check the
signature (HMAC-SHA256 of ``order_id|payment_id`` with the key secret), capture the payment if it
is only authorised, and read the order back.

Idempotency: Razorpay takes no idempotency key on orders, so the key is turned into the order's
``receipt`` and a retry finds the order it already made (``GET /orders?receipt=``); refunds send it
as ``X-Refund-Idempotency``; a capture is idempotent by nature (a second one is refused, and we read
the payment instead).

Webhooks carry ``X-Razorpay-Signature`` (HMAC-SHA256 hex of the raw body with the webhook secret)
and ``X-Razorpay-Event-Id`` (Razorpay's id for deduplication, the same on every retry). Razorpay
signs no delivery timestamp and its retries repeat the event's ``created_at``, so freshness can
only be judged from that: events older than ``max_event_age`` are refused. The default is Razorpay's
own retry window (24 hours): a shorter one would refuse every retry after an outage of a few
minutes, the very deliveries that heal a crash between charge and confirmation, and buys little,
because a replayed event is deduplicated and only makes us re-read the order from Razorpay.

The SDK blocks on ``requests``: every call runs in a worker thread with a timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import orjson
import razorpay
import structlog
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

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

log = structlog.get_logger("klearkarma.payments.razorpay")

SIGNATURE_HEADER = "x-razorpay-signature"
EVENT_ID_HEADER = "x-razorpay-event-id"
MAX_EVENT_AGE = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)  # how far in the future an event may claim to be
PAGE = 100  # Razorpay's largest page

_REFUND_STATUSES: dict[str, RefundState] = {
    "pending": "pending",
    "processed": "succeeded",
    "failed": "failed",
}
_PAYMENT_EVENTS = frozenset({"payment.captured", "payment.failed"})
_REFUND_EVENTS = frozenset({"refund.processed", "refund.failed"})
# Which payment of an order tells its story: money taken beats money on hold beats an attempt
# under way beats a failure.
_PRECEDENCE = {"captured": 0, "refunded": 0, "authorized": 1, "created": 2, "failed": 3}


def payment_status(payment: Mapping[str, Any]) -> IntentStatus:
    status = payment["status"]
    if status in ("captured", "refunded"):  # refunded: collected first, refunds are tracked apart
        return "succeeded"
    if status == "failed":
        return "failed"
    return "processing"  # created, authorized: the money is on its way


def to_intent(order: Mapping[str, Any], payments: Sequence[Mapping[str, Any]]) -> Intent:
    """Our intent for an order, from the payment attempts made on it."""
    currency = str(order["currency"]).upper()
    notes = order.get("notes") or {}
    ranked = sorted(
        payments,
        key=lambda p: (_PRECEDENCE.get(p["status"], 4), -int(p.get("created_at") or 0)),
    )
    payment = ranked[0] if ranked else None
    status: IntentStatus
    if order["status"] == "paid":
        status = "succeeded"
    elif payment is None:
        status = "requires_payment_method"
    else:
        status = payment_status(payment)
    failure = payment if status == "failed" and payment is not None else {}
    return Intent(
        id=order["id"],
        amount=major_units(int(order["amount"]), currency),
        currency=currency,
        status=status,
        client_secret=order["id"],
        payment_method=payment["id"] if payment is not None else None,
        failure_code=failure.get("error_reason") or failure.get("error_code"),
        failure_message=failure.get("error_description"),
        reference=notes.get("reference") if isinstance(notes, Mapping) else None,
    )


def receipt_for(idempotency_key: str) -> str:
    """An order receipt (at most 40 characters) standing for the idempotency key."""
    return "kk_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def refund_idempotency_key(idempotency_key: str) -> str:
    """Razorpay wants 10+ characters of letters, digits, ``-`` and ``_``."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", idempotency_key)
    if 10 <= len(cleaned) <= 64:
        return cleaned
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


class RazorpayGateway:
    """A ``PaymentGateway`` on Razorpay Orders, Payments and Refunds."""

    name = "razorpay"

    def __init__(
        self,
        key_id: str,
        key_secret: str,
        webhook_secret: str,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_event_age: timedelta = MAX_EVENT_AGE,
    ) -> None:
        self.key_id = key_id
        self.webhook_secret = webhook_secret
        self.timeout = timeout
        self.max_event_age = max_event_age
        options = {"base_url": base_url} if base_url else {}
        self.client = razorpay.Client(auth=(key_id, key_secret), **options)

    @classmethod
    def from_settings(cls, settings: Settings) -> RazorpayGateway:
        if (
            settings.razorpay_key_id is None
            or settings.razorpay_key_secret is None
            or settings.razorpay_webhook_secret is None
        ):
            raise RuntimeError(
                "KLEARKARMA_PAYMENT_GATEWAY=razorpay needs RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET "
                "and RAZORPAY_WEBHOOK_SECRET."
            )
        return cls(
            settings.razorpay_key_id,
            settings.razorpay_key_secret.get_secret_value(),
            settings.razorpay_webhook_secret.get_secret_value(),
        )

    async def _call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        refused: Callable[[str], AppError] = Conflict,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One SDK call in a worker thread, its failures turned into ours."""
        try:
            answer = await asyncio.to_thread(fn, *args, timeout=self.timeout, **kwargs)
        except BadRequestError as exc:
            message = str(exc) or "Razorpay refused the request."
            if "authentication" in message.lower():
                log.error("razorpay.authentication_failed")
                raise GatewayUnavailable() from exc
            raise refused(message) from exc
        except (GatewayError, ServerError, OSError, ValueError) as exc:
            # OSError: requests' connection errors and timeouts; ValueError: a body not JSON.
            log.warning("razorpay.unavailable", error=type(exc).__name__)
            raise GatewayUnavailable() from exc
        return cast(dict[str, Any], answer)

    async def _list(self, fn: Callable[..., Any], params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = await self._call(fn, {**params, "count": PAGE, "skip": len(items)})
            batch = page.get("items") or []
            items.extend(batch)
            if len(batch) < PAGE:
                return items

    async def _order_payments(self, order_id: str) -> list[dict[str, Any]]:
        found = await self._call(
            self.client.order.payments, order_id, refused=lambda _: NotFound(order_id)
        )
        return list(found.get("items") or [])

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
        receipt = receipt_for(idempotency_key)
        earlier = await self._call(self.client.order.all, {"receipt": receipt})
        if earlier.get("items"):
            return await self.retrieve_intent(earlier["items"][0]["id"])
        order = await self._call(
            self.client.order.create,
            {
                "amount": minor_units(amount, currency),
                "currency": currency.upper(),
                "receipt": receipt,
                "notes": {**metadata, "reference": reference},
            },
        )
        return to_intent(order, [])

    async def confirm_intent(
        self, intent_id: str, payment_method: str, *, idempotency_key: str
    ) -> Intent:
        """Accept what Checkout returned: verify its signature, capture, read the order."""
        payment_id, _, signature = payment_method.partition(":")
        if not payment_id.startswith("pay_") or not signature:
            raise _bad_method(
                'Pass Razorpay Checkout\'s answer as "<razorpay_payment_id>:<razorpay_signature>".'
            )
        try:
            self.client.utility.verify_payment_signature(
                {
                    "razorpay_order_id": intent_id,
                    "razorpay_payment_id": payment_id,
                    "razorpay_signature": signature,
                }
            )
        except SignatureVerificationError as exc:
            raise _bad_method("The payment's signature does not match this order.") from exc
        payment = await self._call(
            self.client.payment.fetch, payment_id, refused=lambda _: _bad_method("No such payment.")
        )
        if payment.get("order_id") != intent_id:
            raise _bad_method("This payment belongs to another order.")
        if payment["status"] == "authorized":
            try:
                await self._call(
                    self.client.payment.capture,
                    payment_id,
                    payment["amount"],
                    {"currency": payment["currency"]},
                )
            except Conflict:
                # Captured meanwhile (automatic capture, or our own earlier try): read it below.
                log.info("razorpay.capture_refused", payment=payment_id)
        return await self.retrieve_intent(intent_id)

    async def retrieve_intent(self, intent_id: str) -> Intent:
        order = await self._call(
            self.client.order.fetch,
            intent_id,
            refused=lambda _: NotFound(f"No such Razorpay order: {intent_id}"),
        )
        return to_intent(order, await self._order_payments(intent_id))

    async def refund(
        self, intent_id: str, amount: Decimal, currency: str, *, idempotency_key: str
    ) -> GatewayRefund:
        payments = await self._order_payments(intent_id)
        captured = [p for p in payments if p["status"] in ("captured", "refunded")]
        if not captured:
            raise Conflict("Only a captured Razorpay payment can be refunded.")
        refund = await self._call(
            self.client.payment.refund,
            captured[0]["id"],
            {
                "amount": minor_units(amount, currency),
                "notes": {"idempotency_key": idempotency_key},
            },
            headers={"X-Refund-Idempotency": refund_idempotency_key(idempotency_key)},
        )
        return _refund(refund, intent_id)

    async def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        refund = await self._call(
            self.client.refund.fetch,
            refund_id,
            refused=lambda _: NotFound(f"No such Razorpay refund: {refund_id}"),
        )
        payment = await self._call(
            self.client.payment.fetch,
            refund["payment_id"],
            refused=lambda _: NotFound(f"No such Razorpay payment: {refund['payment_id']}"),
        )
        return _refund(refund, payment["order_id"])

    async def list_intents(self, since: datetime) -> list[Intent]:
        """Every order created at or after ``since``, oldest first (reconciliation)."""
        start = int(since.timestamp())
        orders = await self._list(self.client.order.all, {"from": start})
        payments = await self._list(self.client.payment.all, {"from": start})
        by_order: dict[str, list[Mapping[str, Any]]] = {}
        for payment in payments:
            by_order.setdefault(payment.get("order_id") or "", []).append(payment)
        orders.sort(key=lambda order: int(order["created_at"]))
        return [to_intent(order, by_order.get(order["id"], [])) for order in orders]

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise InvalidWebhook("The webhook has no X-Razorpay-Signature header.")
        try:
            self.client.utility.verify_webhook_signature(
                body.decode("utf-8"), signature, self.webhook_secret
            )
        except (SignatureVerificationError, UnicodeDecodeError) as exc:
            raise InvalidWebhook() from exc
        try:
            payload = orjson.loads(body)
            created = datetime.fromtimestamp(int(payload["created_at"]), UTC)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError) as exc:
            raise InvalidWebhook("The webhook body is not a Razorpay event.") from exc
        age = datetime.fromtimestamp(time.time(), UTC) - created
        if age > self.max_event_age or age < -CLOCK_SKEW:
            raise InvalidWebhook("The webhook is too old (or from the future); it is refused.")
        # Razorpay's dedup id travels in a header; without it, the same bytes are the same event.
        event_id = _header(headers, EVENT_ID_HEADER) or "sha256:" + hashlib.sha256(body).hexdigest()
        try:
            return to_event(event_id, created, payload)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidWebhook("The webhook body is not a Razorpay event.") from exc

    async def aclose(self) -> None:
        await asyncio.to_thread(self.client.session.close)


def to_event(event_id: str, created: datetime, payload: Mapping[str, Any]) -> GatewayEvent:
    """What a verified Razorpay event is about: an order, or a refund of its payment."""
    kind = payload["event"]
    entities = payload.get("payload") or {}

    def entity(name: str) -> Mapping[str, Any]:
        return cast(Mapping[str, Any], (entities.get(name) or {}).get("entity") or {})

    intent_id = refund_id = None
    data: Mapping[str, Any] = {}
    if kind in _PAYMENT_EVENTS:
        data = entity("payment")
        intent_id = data.get("order_id")
    elif kind == "order.paid":
        data = entity("order")
        intent_id = data["id"]
    elif kind in _REFUND_EVENTS:
        data = entity("refund")
        refund_id = data["id"]
        intent_id = entity("payment").get("order_id")
    return GatewayEvent(
        id=event_id,
        type=kind,
        created=created,
        intent_id=intent_id,
        refund_id=refund_id,
        data=data,
    )


def _refund(data: Mapping[str, Any], order_id: str) -> GatewayRefund:
    currency = str(data["currency"]).upper()
    return GatewayRefund(
        id=data["id"],
        intent_id=order_id,
        amount=major_units(int(data["amount"]), currency),
        currency=currency,
        status=_REFUND_STATUSES.get(data.get("status") or "pending", "pending"),
    )


def _bad_method(message: str) -> UnknownPaymentMethod:
    return UnknownPaymentMethod(message, details=[{"field": "paymentMethod", "message": message}])


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
