"""The built-in sandbox processor: the whole money flow offline, behaving like a real gateway.

It keeps its own records through its own database connection and commits them itself, so a
charge survives our transaction rolling back, as it would at Stripe. Webhooks go out
asynchronously, signed like Stripe's (``t=<unix>,v1=<HMAC-SHA256 of "t.body">``), retried with
exponential backoff until our endpoint answers 2xx, sometimes sent twice and, because each waits
a random moment first, sometimes out of order: the receiving side must cope with all of that.

Test cards (``paymentMethod``):
``pm_card_visa``, ``pm_card_mastercard``: succeed. ``pm_card_declined``: declined.
``pm_card_insufficient_funds``: insufficient funds. ``pm_card_authentication_required``: needs
the extra authentication step (``POST /v1/payments/sandbox/{intentId}/authenticate``).
``pm_card_refund_fails``: the charge succeeds, a refund of it fails later (by webhook).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import orjson
import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.core.db import Database
from klearkarma.core.errors import Conflict, NotFound
from klearkarma.payments.gateways.base import (
    GatewayEvent,
    GatewayRefund,
    Intent,
    IntentStatus,
    InvalidWebhook,
    RefundState,
    Transfer,
    UnknownPaymentMethod,
)
from klearkarma.payments.models import SandboxEvent, SandboxObject

log = structlog.get_logger("klearkarma.payments.sandbox")

SIGNATURE_HEADER = "sandbox-signature"
TOLERANCE_SECONDS = 300

# Test card -> (outcome, failure code, message)
CARDS: dict[str, tuple[str, str | None, str | None]] = {
    "pm_card_visa": ("succeed", None, None),
    "pm_card_mastercard": ("succeed", None, None),
    "pm_card_refund_fails": ("succeed", None, None),
    "pm_card_declined": ("fail", "card_declined", "Your card was declined."),
    "pm_card_insufficient_funds": (
        "fail",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_authentication_required": ("authenticate", None, None),
}

Deliver = Callable[[bytes, dict[str, str]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Chaos:
    """How unreliable webhook delivery is: the receiving side is tested against all of it."""

    duplicate_rate: float = 0.1
    max_delay: float = 1.0
    max_attempts: int = 8
    first_backoff: float = 0.5


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str | None, body: bytes, *, now: float) -> None:
    """Stripe's scheme: the timestamp is signed with the body and must be recent (replays)."""
    if not header:
        raise InvalidWebhook("The webhook has no signature.")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError) as exc:
        raise InvalidWebhook("The webhook signature has no timestamp.") from exc
    expected = sign(secret, body, timestamp).partition("v1=")[2]
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise InvalidWebhook()
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidWebhook("The webhook is too old (or from the future); it is refused.")


def _intent(data: Mapping[str, Any]) -> Intent:
    return Intent(
        id=data["id"],
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        status=cast(IntentStatus, data["status"]),
        client_secret=data["client_secret"],
        payment_method=data.get("payment_method"),
        failure_code=data.get("failure_code"),
        failure_message=data.get("failure_message"),
        next_action_url=data.get("next_action_url"),
        reference=data.get("reference"),
    )


def _refund(data: Mapping[str, Any]) -> GatewayRefund:
    return GatewayRefund(
        id=data["id"],
        intent_id=data["intent_id"],
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        status=cast(RefundState, data["status"]),
    )


class SandboxGateway:
    """A ``PaymentGateway`` that needs nothing outside this machine."""

    name = "sandbox"

    def __init__(
        self,
        db: Database,
        webhook_secret: str,
        *,
        deliver: Deliver | None = None,
        chaos: Chaos | None = None,
    ) -> None:
        self.db = db
        self.webhook_secret = webhook_secret
        self.deliver = deliver  # None: events wait in the table until someone sends them
        self.chaos = chaos or Chaos()
        self._tasks: set[asyncio.Task[None]] = set()

    # Records.

    async def _load(self, session: AsyncSession, object_id: str, kind: str) -> dict[str, Any]:
        row = await session.get(SandboxObject, object_id, with_for_update=True)
        if row is None or row.kind != kind:
            raise NotFound(f"No such {kind}: {object_id}")
        return dict(row.data)

    async def _save(self, session: AsyncSession, kind: str, data: dict[str, Any]) -> None:
        row = await session.get(SandboxObject, data["id"])
        if row is None:
            session.add(
                SandboxObject(id=data["id"], kind=kind, data=data, created_at=datetime.now(UTC))
            )
        else:
            row.data = data
        await session.flush()

    async def _remembered(self, session: AsyncSession, key: str) -> str | None:
        """The object an idempotency key already produced, claiming the key if it is new."""
        claimed = await session.scalar(
            insert(SandboxObject)
            .values(id=f"idem:{key}", kind="idempotency", data={}, created_at=datetime.now(UTC))
            .on_conflict_do_nothing()
            .returning(SandboxObject.id)
        )
        if claimed is not None:
            return None
        row = await session.get(SandboxObject, f"idem:{key}", with_for_update=True)
        assert row is not None
        return cast(str | None, row.data.get("object_id"))

    async def _remember(self, session: AsyncSession, key: str, object_id: str) -> None:
        row = await session.get(SandboxObject, f"idem:{key}")
        assert row is not None
        row.data = {"object_id": object_id}
        await session.flush()

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
        async with self.db.transaction() as session:
            existing = await self._remembered(session, f"create:{idempotency_key}")
            if existing is not None:
                return _intent(await self._load(session, existing, "intent"))
            intent_id = f"pi_sbx_{secrets.token_hex(12)}"
            data = {
                "id": intent_id,
                "amount": str(amount),
                "currency": currency,
                "status": "requires_payment_method",
                "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
                "reference": reference,
                "metadata": dict(metadata),
                "refunded": "0.00",
                "created": datetime.now(UTC).isoformat(),
            }
            await self._save(session, "intent", data)
            await self._remember(session, f"create:{idempotency_key}", intent_id)
            return _intent(data)

    async def confirm_intent(
        self, intent_id: str, payment_method: str, *, idempotency_key: str
    ) -> Intent:
        if payment_method not in CARDS:
            raise UnknownPaymentMethod(
                details=[
                    {
                        "field": "paymentMethod",
                        "message": "Use a sandbox test card: " + ", ".join(sorted(CARDS)) + ".",
                    }
                ]
            )
        async with self.db.transaction() as session:
            data = await self._load(session, intent_id, "intent")
            if data["status"] in ("succeeded", "processing", "canceled"):
                return _intent(data)  # already charged: a retry never charges twice
            if data["status"] == "requires_action" and data.get("payment_method") == payment_method:
                return _intent(data)
            outcome, code, message = CARDS[payment_method]
            data.update(payment_method=payment_method, failure_code=code, failure_message=message)
            data.pop("next_action_url", None)
            if outcome == "succeed":
                data["status"] = "succeeded"
                await self._event(session, "payment_intent.succeeded", data)
            elif outcome == "fail":
                data["status"] = "failed"
                await self._event(session, "payment_intent.payment_failed", data)
            else:
                data["status"] = "requires_action"
                data["next_action_url"] = f"/v1/payments/sandbox/{intent_id}/authenticate"
            await self._save(session, "intent", data)
            return _intent(data)

    async def authenticate(self, intent_id: str, *, approve: bool) -> Intent:
        """The customer's bank page: approving completes the charge, declining fails it."""
        async with self.db.transaction() as session:
            data = await self._load(session, intent_id, "intent")
            if data["status"] != "requires_action":
                raise Conflict("This payment is not waiting for authentication.")
            data.pop("next_action_url", None)
            if approve:
                data.update(status="succeeded", failure_code=None, failure_message=None)
                await self._event(session, "payment_intent.succeeded", data)
            else:
                data.update(
                    status="failed",
                    failure_code="authentication_failed",
                    failure_message="The card's authentication was not completed.",
                )
                await self._event(session, "payment_intent.payment_failed", data)
            await self._save(session, "intent", data)
            return _intent(data)

    async def retrieve_intent(self, intent_id: str) -> Intent:
        async with self.db.transaction() as session:
            return _intent(await self._load(session, intent_id, "intent"))

    async def refund(
        self, intent_id: str, amount: Decimal, currency: str, *, idempotency_key: str
    ) -> GatewayRefund:
        async with self.db.transaction() as session:
            existing = await self._remembered(session, f"refund:{idempotency_key}")
            if existing is not None:
                return _refund(await self._load(session, existing, "refund"))
            data = await self._load(session, intent_id, "intent")
            refunded = Decimal(data["refunded"])
            if data["status"] != "succeeded" or amount <= 0:
                raise Conflict("Only a succeeded payment can be refunded.")
            if refunded + amount > Decimal(data["amount"]) or currency != data["currency"]:
                raise Conflict("The refund is larger than what is left of the payment.")
            data["refunded"] = str(refunded + amount)
            await self._save(session, "intent", data)
            fails = data.get("payment_method") == "pm_card_refund_fails"
            refund = {
                "id": f"re_sbx_{secrets.token_hex(12)}",
                "intent_id": intent_id,
                "amount": str(amount),
                "currency": currency,
                "status": "pending" if fails else "succeeded",
            }
            if fails:  # the bank bounces it later; the money returns to the payment
                data["refunded"] = str(refunded)
                await self._save(session, "intent", data)
                await self._event(session, "refund.failed", {**refund, "status": "failed"})
                refund_final = {**refund, "status": "failed"}
                await self._save(session, "refund", refund_final)
            else:
                await self._event(session, "refund.succeeded", refund)
                await self._save(session, "refund", refund)
            await self._remember(session, f"refund:{idempotency_key}", refund["id"])
            return _refund(refund)

    async def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        async with self.db.transaction() as session:
            return _refund(await self._load(session, refund_id, "refund"))

    async def list_intents(self, since: datetime) -> list[Intent]:
        async with self.db.transaction() as session:
            rows = await session.scalars(
                select(SandboxObject)
                .where(SandboxObject.kind == "intent", SandboxObject.created_at >= since)
                .order_by(SandboxObject.created_at)
            )
            return [_intent(row.data) for row in rows]

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        verify_signature(self.webhook_secret, headers.get(SIGNATURE_HEADER), body, now=time.time())
        try:
            payload = orjson.loads(body)
            obj = payload["data"]["object"]
            kind = payload["type"]
            return GatewayEvent(
                id=payload["id"],
                type=kind,
                created=datetime.fromtimestamp(payload["created"], UTC),
                intent_id=obj["intent_id"] if kind.startswith("refund.") else obj["id"],
                refund_id=obj["id"] if kind.startswith("refund.") else None,
                data=obj,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidWebhook("The webhook body is not a sandbox event.") from exc

    # Webhooks out.

    async def _event(self, session: AsyncSession, kind: str, obj: Mapping[str, Any]) -> None:
        event_id = f"evt_sbx_{secrets.token_hex(12)}"
        payload = {
            "id": event_id,
            "type": kind,
            "created": int(time.time()),
            "data": {"object": {k: v for k, v in obj.items() if k != "client_secret"}},
        }
        session.add(
            SandboxEvent(id=event_id, payload=payload, created_at=datetime.now(UTC), attempts=0)
        )
        await session.flush()
        if self.deliver is not None:
            copies = 2 if random.random() < self.chaos.duplicate_rate else 1  # noqa: S311
            for _ in range(copies):
                self._spawn(event_id, payload)

    def _spawn(self, event_id: str, payload: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(event_id, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def signed(self, payload: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The exact bytes and headers the sandbox posts for an event."""
        body = orjson.dumps(payload)
        return body, {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(self.webhook_secret, body, int(time.time())),
        }

    async def _send(self, event_id: str, payload: dict[str, Any]) -> None:
        assert self.deliver is not None
        await asyncio.sleep(random.uniform(0, self.chaos.max_delay))  # noqa: S311
        backoff = self.chaos.first_backoff
        for attempt in range(1, self.chaos.max_attempts + 1):
            body, headers = self.signed(payload)  # re-signed: the timestamp stays fresh
            error = None
            try:
                status = await self.deliver(body, headers)
            except Exception as exc:  # the endpoint is down (or not up yet): retry later
                status, error = 0, type(exc).__name__
            await self._note_attempt(event_id, delivered=200 <= status < 300)
            if 200 <= status < 300:
                return
            # Expected while the server starts (demo payments are made before it listens): a
            # retry is routine, only giving up deserves a warning.
            log.info(
                "sandbox.webhook_retry",
                event_id=event_id,
                attempt=attempt,
                status=status,
                error=error,
            )
            await asyncio.sleep(backoff * (1 + random.random()))  # noqa: S311
            backoff *= 2
        log.warning("sandbox.webhook_gave_up", event_id=event_id, attempts=self.chaos.max_attempts)

    async def _note_attempt(self, event_id: str, *, delivered: bool) -> None:
        async with self.db.transaction() as session:
            row = await session.get(SandboxEvent, event_id, with_for_update=True)
            if row is not None:
                row.attempts += 1
                if delivered and row.delivered_at is None:
                    row.delivered_at = datetime.now(UTC)

    async def undelivered(self) -> list[dict[str, Any]]:
        """Events not yet accepted by our endpoint, oldest first (tests and restarts)."""
        async with self.db.transaction() as session:
            rows = await session.scalars(
                select(SandboxEvent)
                .where(SandboxEvent.delivered_at.is_(None))
                .order_by(SandboxEvent.created_at)
            )
            return [dict(row.payload) for row in rows]

    async def events_for(self, intent_id: str) -> list[dict[str, Any]]:
        """Every event about one intent (or its refunds), in the order they happened."""
        async with self.db.transaction() as session:
            rows = await session.scalars(select(SandboxEvent).order_by(SandboxEvent.created_at))
            return [
                dict(row.payload)
                for row in rows
                if intent_id
                in (
                    row.payload["data"]["object"].get("id"),
                    row.payload["data"]["object"].get("intent_id"),
                )
            ]

    async def resend_undelivered(self) -> int:
        if self.deliver is None:
            return 0
        pending = await self.undelivered()
        for payload in pending:
            self._spawn(payload["id"], payload)
        return len(pending)

    async def drain(self) -> None:
        """Wait for every delivery in flight (shutdown and tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.db.dispose()


class SandboxPayouts:
    """A ``PayoutProvider`` that pays at once, except to the practitioners in ``fail_for``
    (tests of failed payouts)."""

    name = "sandbox"

    def __init__(self, *, fail_for: frozenset[str] = frozenset()) -> None:
        self.fail_for = fail_for
        self._transfers: dict[str, Transfer] = {}

    async def transfer(
        self,
        *,
        payout_id: str,
        practitioner_id: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
    ) -> Transfer:
        if idempotency_key in self._transfers:
            return self._transfers[idempotency_key]
        if practitioner_id in self.fail_for:
            result = Transfer(f"tr_sbx_{secrets.token_hex(8)}", "failed", "account_closed")
        else:
            result = Transfer(f"tr_sbx_{secrets.token_hex(8)}", "paid")
        self._transfers[idempotency_key] = result
        return result

    async def retrieve(self, transfer_id: str) -> Transfer:
        for transfer in self._transfers.values():
            if transfer.id == transfer_id:
                return transfer
        raise NotFound(f"No such transfer: {transfer_id}")
