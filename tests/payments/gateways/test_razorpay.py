"""The Razorpay adapter at the HTTP boundary: the official SDK against recorded responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from klearkarma.config import Settings
from klearkarma.core.errors import Conflict, NotFound
from klearkarma.payments.gateways.base import (
    GatewayRefund,
    GatewayUnavailable,
    Intent,
    InvalidWebhook,
    UnknownPaymentMethod,
)
from klearkarma.payments.gateways.razorpay import (
    RazorpayGateway,
    receipt_for,
    refund_idempotency_key,
)
from tests.payments.gateways.recorded_api import RecordedApi, recorded

KEY_ID = "rzp_test_PQa1Bb2Cc3Dd4E"
KEY_SECRET = "recorded_key_secret_0123456789"
WEBHOOK_SECRET = "recorded_webhook_secret_abcdef"
ORDER = "order_PQx7Lm2NbV4cDe"
PAYMENT = "pay_PQx8Ab3CdE5fGh"
REFUND = "rfnd_PQy1Qw2Er3Ty4U"
REFERENCE = "booking:0193a8f0-7c4e-7d2a-9b1e-5f6a7b8c9d0e"
PAYMENT_ID = "0193a8f1-2b3c-7d4e-8f90-a1b2c3d4e5f6"


@pytest_asyncio.fixture
async def gateway(recorded_api: RecordedApi) -> AsyncIterator[RazorpayGateway]:
    razorpay = RazorpayGateway(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, base_url=recorded_api.url)
    yield razorpay
    await razorpay.aclose()


def checkout_signature(order_id: str, payment_id: str, secret: str = KEY_SECRET) -> str:
    """What Razorpay Checkout returns: HMAC-SHA256 hex of "order_id|payment_id", key secret."""
    return hmac.new(
        secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256
    ).hexdigest()


def webhook(
    name: str, *, age: float = 5, secret: str = WEBHOOK_SECRET, event_id: str | None = "evt_1"
) -> tuple[dict[str, str], bytes]:
    """A recorded event as Razorpay posts it: raw body, X-Razorpay-Signature (HMAC-SHA256 hex of
    the body with the webhook secret) and X-Razorpay-Event-Id."""
    payload = recorded(f"razorpay/{name}")
    payload["created_at"] = int(time.time() - age)
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }
    if event_id is not None:
        headers["X-Razorpay-Event-Id"] = event_id
    return headers, body


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()


class TestCreateIntent:
    async def test_creates_an_order_in_paise_with_the_key_as_its_receipt(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", "/v1/orders", "razorpay/orders_none")
        recorded_api.reply("POST", "/v1/orders", "razorpay/order_created")
        key = f"payment:{PAYMENT_ID}"

        intent = await gateway.create_intent(
            amount=Decimal("1500.00"),
            currency="INR",
            reference=REFERENCE,
            idempotency_key=key,
            metadata={"paymentId": PAYMENT_ID, "reference": REFERENCE},
        )

        [lookup] = recorded_api.requests_to("GET", "/v1/orders")
        assert lookup.query == {"receipt": [receipt_for(key)]}
        [sent] = recorded_api.requests_to("POST", "/v1/orders")
        assert sent.json == {
            "amount": 150000,
            "currency": "INR",
            "receipt": receipt_for(key),
            "notes": {"paymentId": PAYMENT_ID, "reference": REFERENCE},
        }
        assert sent.headers["authorization"] == basic_auth()
        assert sent.headers["content-type"] == "application/json"
        assert len(receipt_for(key)) <= 40
        assert intent == Intent(
            id=ORDER,
            amount=Decimal("1500.00"),
            currency="INR",
            status="requires_payment_method",
            client_secret=ORDER,
            reference=REFERENCE,
        )

    async def test_a_retry_with_the_same_key_finds_the_order_it_made(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "GET", "/v1/orders", {"entity": "collection", "count": 1, "items": [
                recorded("razorpay/order_created")
            ]}
        )  # fmt: skip
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_created")
        recorded_api.reply("GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_none")

        intent = await gateway.create_intent(
            amount=Decimal("1500.00"),
            currency="INR",
            reference=REFERENCE,
            idempotency_key=f"payment:{PAYMENT_ID}",
            metadata={},
        )

        assert (intent.id, intent.status) == (ORDER, "requires_payment_method")
        assert recorded_api.requests_to("POST", "/v1/orders") == []

    async def test_a_razorpay_outage_is_unavailable(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", "/v1/orders", "razorpay/orders_none")
        recorded_api.reply("POST", "/v1/orders", "razorpay/error_server", status=500)

        with pytest.raises(GatewayUnavailable):
            await gateway.create_intent(
                amount=Decimal("1500.00"),
                currency="INR",
                reference=REFERENCE,
                idempotency_key="payment:outage",
                metadata={},
            )

    async def test_rejected_keys_are_an_outage_not_the_callers_fault(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", "/v1/orders", "razorpay/error_authentication", status=401)

        with pytest.raises(GatewayUnavailable):
            await gateway.create_intent(
                amount=Decimal("1500.00"),
                currency="INR",
                reference=REFERENCE,
                idempotency_key="payment:auth",
                metadata={},
            )

    async def test_an_unreachable_razorpay_is_unavailable(self) -> None:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        razorpay = RazorpayGateway(
            KEY_ID, KEY_SECRET, WEBHOOK_SECRET, base_url=f"http://127.0.0.1:{port}", timeout=2
        )
        try:
            with pytest.raises(GatewayUnavailable):
                await razorpay.retrieve_intent(ORDER)
        finally:
            await razorpay.aclose()


class TestConfirmIntent:
    async def test_an_authorized_payment_is_verified_captured_and_read_back(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", f"/v1/payments/{PAYMENT}", "razorpay/payment_authorized")
        recorded_api.reply("POST", f"/v1/payments/{PAYMENT}/capture", "razorpay/payment_captured")
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_paid")
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_captured"
        )

        intent = await gateway.confirm_intent(
            ORDER, f"{PAYMENT}:{checkout_signature(ORDER, PAYMENT)}", idempotency_key="confirm:1"
        )

        [capture] = recorded_api.requests_to("POST", f"/v1/payments/{PAYMENT}/capture")
        assert capture.json == {"amount": 150000, "currency": "INR"}
        assert capture.headers["authorization"] == basic_auth()
        assert intent.status == "succeeded"
        assert intent.payment_method == PAYMENT
        assert (intent.amount, intent.currency) == (Decimal("1500.00"), "INR")

    async def test_an_automatically_captured_payment_is_not_captured_again(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", f"/v1/payments/{PAYMENT}", "razorpay/payment_captured")
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_paid")
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_captured"
        )

        intent = await gateway.confirm_intent(
            ORDER, f"{PAYMENT}:{checkout_signature(ORDER, PAYMENT)}", idempotency_key="confirm:2"
        )

        assert intent.status == "succeeded"
        assert recorded_api.requests_to("POST", f"/v1/payments/{PAYMENT}/capture") == []

    async def test_a_capture_refused_because_it_already_happened_reads_the_order(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", f"/v1/payments/{PAYMENT}", "razorpay/payment_authorized")
        recorded_api.reply(
            "POST",
            f"/v1/payments/{PAYMENT}/capture",
            "razorpay/error_already_captured",
            status=400,
        )
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_paid")
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_captured"
        )

        intent = await gateway.confirm_intent(
            ORDER, f"{PAYMENT}:{checkout_signature(ORDER, PAYMENT)}", idempotency_key="confirm:3"
        )

        assert intent.status == "succeeded"

    async def test_a_forged_checkout_signature_is_refused_before_asking_razorpay(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        forged = checkout_signature(ORDER, PAYMENT, secret="not-our-secret")

        with pytest.raises(UnknownPaymentMethod, match="signature"):
            await gateway.confirm_intent(ORDER, f"{PAYMENT}:{forged}", idempotency_key="c")

        assert recorded_api.received == []

    async def test_a_signature_for_another_order_is_refused(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        signature = checkout_signature("order_SomeoneElses1", PAYMENT)

        with pytest.raises(UnknownPaymentMethod):
            await gateway.confirm_intent(ORDER, f"{PAYMENT}:{signature}", idempotency_key="c")

        assert recorded_api.received == []

    async def test_a_payment_of_another_order_is_refused(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        # Correctly signed for the order named, but Razorpay says the payment is another's.
        recorded_api.reply("GET", f"/v1/payments/{PAYMENT}", "razorpay/payment_authorized")
        other = "order_PQz9Yy8Xx7Ww6V"

        with pytest.raises(UnknownPaymentMethod, match="another order"):
            await gateway.confirm_intent(
                other, f"{PAYMENT}:{checkout_signature(other, PAYMENT)}", idempotency_key="c"
            )

        assert recorded_api.requests_to("POST", f"/v1/payments/{PAYMENT}/capture") == []

    @pytest.mark.parametrize("method", ["pm_card_visa", f"{PAYMENT}:", "pay_x", ""])
    async def test_anything_but_checkouts_answer_is_refused(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi, method: str
    ) -> None:
        with pytest.raises(UnknownPaymentMethod):
            await gateway.confirm_intent(ORDER, method, idempotency_key="c")

        assert recorded_api.received == []


class TestRetrieveIntent:
    async def test_an_order_whose_only_payment_failed_is_failed(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_attempted")
        recorded_api.reply("GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_failed")

        intent = await gateway.retrieve_intent(ORDER)

        assert intent.status == "failed"
        assert intent.failure_code == "insufficient_funds"
        assert (
            intent.failure_message == "Payment failed due to insufficient balance in the account."
        )
        assert intent.payment_method == "pay_PQx8Zz1YyX2wWv"

    async def test_an_authorized_payment_is_processing(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_attempted")
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_authorized"
        )

        intent = await gateway.retrieve_intent(ORDER)

        assert (intent.status, intent.failure_code) == ("processing", None)

    async def test_a_paid_order_succeeded_whatever_failed_before(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", f"/v1/orders/{ORDER}", "razorpay/order_paid")
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_captured"
        )

        intent = await gateway.retrieve_intent(ORDER)

        assert (intent.status, intent.payment_method, intent.failure_code) == (
            "succeeded",
            PAYMENT,
            None,
        )
        assert intent.reference == REFERENCE

    async def test_an_unknown_order_is_not_found(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "GET", "/v1/orders/order_Missing", "razorpay/error_no_such_id", status=400
        )

        with pytest.raises(NotFound):
            await gateway.retrieve_intent("order_Missing")


class TestRefunds:
    async def test_refunds_the_captured_payment_in_paise_with_an_idempotency_header(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_captured"
        )
        recorded_api.reply("POST", f"/v1/payments/{PAYMENT}/refund", "razorpay/refund_pending")
        key = "refund:0193a8f2-aaaa-7bbb-8ccc-dddddddddddd"

        refund = await gateway.refund(ORDER, Decimal("750.00"), "INR", idempotency_key=key)

        [sent] = recorded_api.requests_to("POST", f"/v1/payments/{PAYMENT}/refund")
        assert sent.json == {"amount": 75000, "notes": {"idempotency_key": key}}
        assert sent.headers["x-refund-idempotency"] == "refund-0193a8f2-aaaa-7bbb-8ccc-dddddddddddd"
        assert refund == GatewayRefund(
            id=REFUND, intent_id=ORDER, amount=Decimal("750.00"), currency="INR", status="pending"
        )

    async def test_an_order_with_nothing_captured_cannot_be_refunded(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_authorized"
        )

        with pytest.raises(Conflict):
            await gateway.refund(ORDER, Decimal("750.00"), "INR", idempotency_key="refund:none")

        assert recorded_api.requests_to("POST", f"/v1/payments/{PAYMENT}/refund") == []

    async def test_refunding_more_than_was_captured_is_a_conflict(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "GET", f"/v1/orders/{ORDER}/payments", "razorpay/order_payments_captured"
        )
        recorded_api.reply(
            "POST",
            f"/v1/payments/{PAYMENT}/refund",
            "razorpay/error_refund_too_large",
            status=400,
        )

        with pytest.raises(Conflict, match="greater than amount captured"):
            await gateway.refund(ORDER, Decimal("2000.00"), "INR", idempotency_key="refund:big")

    @pytest.mark.parametrize(
        ("recording", "status"),
        [
            ("refund_pending", "pending"),
            ("refund_processed", "succeeded"),
            ("refund_failed", "failed"),
        ],
    )
    async def test_a_refund_is_read_back_with_its_order(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi, recording: str, status: str
    ) -> None:
        recorded_api.reply("GET", f"/v1/refunds/{REFUND}", f"razorpay/{recording}")
        recorded_api.reply("GET", f"/v1/payments/{PAYMENT}", "razorpay/payment_captured")

        refund = await gateway.retrieve_refund(REFUND)

        assert (refund.status, refund.intent_id, refund.amount) == (
            status,
            ORDER,
            Decimal("750.00"),
        )

    @pytest.mark.parametrize(
        ("key", "header"),
        [
            ("refund:0193a8f2", "refund-0193a8f2"),
            ("short", hashlib.sha256(b"short").hexdigest()),
            ("r" * 65, hashlib.sha256(b"r" * 65).hexdigest()),
        ],
    )
    def test_idempotency_keys_are_shaped_as_razorpay_accepts(self, key: str, header: str) -> None:
        assert refund_idempotency_key(key) == header


class TestListIntents:
    async def test_orders_since_the_date_with_their_payments_oldest_first(
        self, gateway: RazorpayGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", "/v1/orders", "razorpay/orders_since")
        recorded_api.reply("GET", "/v1/payments", "razorpay/payments_since")
        since = datetime(2025, 11, 24, tzinfo=UTC)

        intents = await gateway.list_intents(since)

        start = str(int(since.timestamp()))
        [orders] = recorded_api.requests_to("GET", "/v1/orders")
        assert orders.query == {"from": [start], "count": ["100"], "skip": ["0"]}
        [payments] = recorded_api.requests_to("GET", "/v1/payments")
        assert payments.query == {"from": [start], "count": ["100"], "skip": ["0"]}
        assert [(i.id, i.status) for i in intents] == [
            ("order_PQw1Aa2Bb3Cc4D", "succeeded"),
            (ORDER, "failed"),
            ("order_PQz9Yy8Xx7Ww6V", "requires_payment_method"),
        ]


class TestWebhooks:
    @pytest.mark.parametrize(
        ("recording", "kind"),
        [
            ("event_payment_captured", "payment.captured"),
            ("event_payment_failed", "payment.failed"),
            ("event_order_paid", "order.paid"),
        ],
    )
    def test_a_signed_payment_event_names_its_order(
        self, gateway: RazorpayGateway, recording: str, kind: str
    ) -> None:
        headers, body = webhook(recording, event_id="evt_PQz1Aa2Bb3Cc4D")

        event = gateway.verify_webhook(headers, body)

        assert (event.id, event.type, event.intent_id, event.refund_id) == (
            "evt_PQz1Aa2Bb3Cc4D",
            kind,
            ORDER,
            None,
        )
        assert event.created == datetime.fromtimestamp(json.loads(body)["created_at"], UTC)

    @pytest.mark.parametrize("recording", ["event_refund_processed", "event_refund_failed"])
    def test_a_refund_event_names_the_refund_and_its_order(
        self, gateway: RazorpayGateway, recording: str
    ) -> None:
        headers, body = webhook(recording)

        event = gateway.verify_webhook(headers, body)

        assert (event.intent_id, event.refund_id) == (ORDER, REFUND)

    def test_an_event_we_do_not_act_on_names_nothing(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_authorized")

        event = gateway.verify_webhook(headers, body)

        assert (event.type, event.intent_id, event.refund_id) == ("payment.authorized", None, None)

    def test_headers_are_read_whatever_their_case(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_captured", event_id="evt_lower")

        event = gateway.verify_webhook({k.lower(): v for k, v in headers.items()}, body)

        assert event.id == "evt_lower"

    def test_without_an_event_id_the_same_bytes_are_the_same_event(
        self, gateway: RazorpayGateway
    ) -> None:
        headers, body = webhook("event_payment_captured", event_id=None)

        first = gateway.verify_webhook(headers, body)
        again = gateway.verify_webhook(headers, body)

        assert first.id == again.id == "sha256:" + hashlib.sha256(body).hexdigest()

    def test_a_forged_signature_is_rejected(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_captured", secret="not-our-secret")

        with pytest.raises(InvalidWebhook):
            gateway.verify_webhook(headers, body)

    def test_a_changed_body_is_rejected(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_captured")

        with pytest.raises(InvalidWebhook):
            gateway.verify_webhook(headers, body.replace(b'"amount": 150000', b'"amount": 15'))

    def test_an_unsigned_event_is_rejected(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_captured")
        del headers["X-Razorpay-Signature"]

        with pytest.raises(InvalidWebhook):
            gateway.verify_webhook(headers, body)

    def test_an_event_older_than_razorpays_retry_window_is_rejected(
        self, gateway: RazorpayGateway
    ) -> None:
        headers, body = webhook(
            "event_payment_captured", age=timedelta(hours=24, minutes=1).total_seconds()
        )

        with pytest.raises(InvalidWebhook, match="too old"):
            gateway.verify_webhook(headers, body)

    def test_a_retry_hours_later_is_still_accepted(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_captured", age=timedelta(hours=6).total_seconds())

        assert gateway.verify_webhook(headers, body).intent_id == ORDER

    def test_an_event_from_the_future_is_rejected(self, gateway: RazorpayGateway) -> None:
        headers, body = webhook("event_payment_captured", age=-600)

        with pytest.raises(InvalidWebhook, match="too old"):
            gateway.verify_webhook(headers, body)

    def test_a_tighter_tolerance_can_be_chosen(self) -> None:
        strict = RazorpayGateway(
            KEY_ID, KEY_SECRET, WEBHOOK_SECRET, max_event_age=timedelta(seconds=300)
        )
        fresh_headers, fresh = webhook("event_payment_captured", age=290)
        stale_headers, stale = webhook("event_payment_captured", age=301)

        assert strict.verify_webhook(fresh_headers, fresh).intent_id == ORDER
        with pytest.raises(InvalidWebhook, match="too old"):
            strict.verify_webhook(stale_headers, stale)

    def test_a_signed_body_that_is_not_an_event_is_rejected(self, gateway: RazorpayGateway) -> None:
        body = b'{"hello": "world"}'
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()

        with pytest.raises(InvalidWebhook, match="not a Razorpay event"):
            gateway.verify_webhook({"X-Razorpay-Signature": signature}, body)


class TestSettings:
    def test_razorpay_needs_its_keys(self, tmp_path: Path) -> None:
        settings = Settings(  # type: ignore[call-arg]
            env="test", data_dir=tmp_path, payment_gateway="razorpay", razorpay_key_id=KEY_ID
        )

        with pytest.raises(RuntimeError, match="RAZORPAY_KEY_SECRET"):
            RazorpayGateway.from_settings(settings)

    def test_configured_from_settings(self, tmp_path: Path) -> None:
        settings = Settings(  # type: ignore[call-arg]
            env="test",
            data_dir=tmp_path,
            payment_gateway="razorpay",
            razorpay_key_id=KEY_ID,
            razorpay_key_secret=KEY_SECRET,
            razorpay_webhook_secret=WEBHOOK_SECRET,
        )

        razorpay = RazorpayGateway.from_settings(settings)

        assert razorpay.key_id == KEY_ID
        assert razorpay.client.auth == (KEY_ID, KEY_SECRET)
        assert razorpay.max_event_age == timedelta(hours=24)
