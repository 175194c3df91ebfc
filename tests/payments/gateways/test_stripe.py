"""The Stripe adapter at the HTTP boundary: the official SDK against recorded Stripe responses."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from klearkarma.payments.gateways.stripe import StripeGateway, intent_status
from tests.payments.gateways.recorded_api import RecordedApi, recorded

SECRET_KEY = "sk_test_51QxKiARecordedKeyForTestsOnly"
WEBHOOK_SECRET = "whsec_recorded_test_secret_0123456789abcdef"
RETURN_URL = "https://klearkarma.example/bookings/payment-return"
INTENT = "pi_3QxKk2SBq4mN0dGv1a2b3c4d"
INTENT_PATH = f"/v1/payment_intents/{INTENT}"
REFERENCE = "booking:0193a8f0-7c4e-7d2a-9b1e-5f6a7b8c9d0e"
PAYMENT_ID = "0193a8f1-2b3c-7d4e-8f90-a1b2c3d4e5f6"

# The SDK hands httpx its form body as ``data=``; httpx would rather it were ``content=``.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest_asyncio.fixture
async def gateway(recorded_api: RecordedApi) -> AsyncIterator[StripeGateway]:
    stripe = StripeGateway(
        SECRET_KEY,
        WEBHOOK_SECRET,
        return_url=RETURN_URL,
        api_base=recorded_api.url,
        max_network_retries=0,
    )
    yield stripe
    await stripe.aclose()


def signed(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """The Stripe-Signature header as Stripe documents it: HMAC-SHA256 of "t.body"."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={mac}", "Content-Type": "application/json"}


def event_body(name: str) -> bytes:
    return json.dumps(recorded(f"stripe/{name}"), indent=2).encode()


class TestCreateIntent:
    async def test_sends_minor_units_lower_case_currency_metadata_and_the_idempotency_key(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("POST", "/v1/payment_intents", "stripe/payment_intent_created")

        intent = await gateway.create_intent(
            amount=Decimal("1500.00"),
            currency="INR",
            reference=REFERENCE,
            idempotency_key=f"payment:{PAYMENT_ID}",
            metadata={"paymentId": PAYMENT_ID, "reference": REFERENCE},
        )

        [sent] = recorded_api.requests_to("POST", "/v1/payment_intents")
        assert sent.form == {
            "amount": "150000",
            "currency": "inr",
            "description": REFERENCE,
            "metadata[paymentId]": PAYMENT_ID,
            "metadata[reference]": REFERENCE,
        }
        assert sent.headers["idempotency-key"] == f"payment:{PAYMENT_ID}"
        assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
        assert sent.headers["stripe-version"]
        assert intent == Intent(
            id=INTENT,
            amount=Decimal("1500.00"),
            currency="INR",
            status="requires_payment_method",
            client_secret="pi_3QxKk2SBq4mN0dGv1a2b3c4d_secret_Vx8mTqLk2p9RzY4wNc7bJhD1e",
            reference=REFERENCE,
        )

    async def test_a_zero_decimal_currency_is_sent_as_it_is(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("POST", "/v1/payment_intents", "stripe/payment_intent_created")

        await gateway.create_intent(
            amount=Decimal("1500"),
            currency="JPY",
            reference=REFERENCE,
            idempotency_key="payment:jpy",
            metadata={},
        )

        [sent] = recorded_api.requests_to("POST", "/v1/payment_intents")
        assert (sent.form["amount"], sent.form["currency"]) == ("1500", "jpy")

    async def test_a_stripe_outage_is_unavailable(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("POST", "/v1/payment_intents", "stripe/error_api", status=500)

        with pytest.raises(GatewayUnavailable):
            await gateway.create_intent(
                amount=Decimal("1500.00"),
                currency="INR",
                reference=REFERENCE,
                idempotency_key="payment:outage",
                metadata={},
            )

    async def test_an_unreachable_stripe_is_unavailable(self) -> None:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        stripe = StripeGateway(
            SECRET_KEY,
            WEBHOOK_SECRET,
            api_base=f"http://127.0.0.1:{port}",
            max_network_retries=0,
            timeout=2,
        )
        try:
            with pytest.raises(GatewayUnavailable):
                await stripe.retrieve_intent(INTENT)
        finally:
            await stripe.aclose()

    async def test_nothing_leaves_this_machine(self) -> None:
        # Pointed at the real api.stripe.com, the SDK cannot even resolve it inside the tests.
        stripe = StripeGateway(SECRET_KEY, WEBHOOK_SECRET, max_network_retries=0)
        try:
            with pytest.raises(GatewayUnavailable):
                await stripe.retrieve_intent(INTENT)
        finally:
            await stripe.aclose()


class TestConfirmIntent:
    async def test_a_good_card_succeeds(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("POST", f"{INTENT_PATH}/confirm", "stripe/payment_intent_succeeded")

        intent = await gateway.confirm_intent(
            INTENT, "pm_card_visa", idempotency_key=f"confirm:{PAYMENT_ID}:1"
        )

        [sent] = recorded_api.requests_to("POST", f"{INTENT_PATH}/confirm")
        assert sent.form == {"payment_method": "pm_card_visa", "return_url": RETURN_URL}
        assert sent.headers["idempotency-key"] == f"confirm:{PAYMENT_ID}:1"
        assert intent.status == "succeeded"
        assert intent.payment_method == "pm_1QxKlBSBq4mN0dGvVisa4242"
        assert (intent.amount, intent.currency) == (Decimal("1500.00"), "INR")
        assert intent.failure_code is intent.failure_message is intent.next_action_url is None

    async def test_a_card_needing_3d_secure_returns_the_redirect(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "POST", f"{INTENT_PATH}/confirm", "stripe/payment_intent_requires_action"
        )

        intent = await gateway.confirm_intent(
            INTENT, "pm_card_authenticationRequired", idempotency_key="confirm:3ds"
        )

        assert intent.status == "requires_action"
        assert intent.next_action_url is not None
        assert intent.next_action_url.startswith("https://hooks.stripe.com/3d_secure_2/hosted?")

    async def test_a_declined_card_is_a_failed_intent_not_an_error(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "POST", f"{INTENT_PATH}/confirm", "stripe/error_card_declined", status=402
        )

        intent = await gateway.confirm_intent(
            INTENT, "pm_card_visa_chargeDeclinedInsufficientFunds", idempotency_key="confirm:no"
        )

        assert intent.status == "failed"
        assert intent.failure_code == "insufficient_funds"
        assert intent.failure_message == "Your card has insufficient funds."
        assert intent.payment_method == "pm_1QxKlDSBq4mN0dGvNoFunds9995"
        assert recorded_api.requests_to("GET", INTENT_PATH) == []  # the error carried the intent

    async def test_confirming_a_settled_intent_again_returns_it_as_it_stands(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "POST", f"{INTENT_PATH}/confirm", "stripe/error_unexpected_state", status=400
        )
        recorded_api.reply("GET", INTENT_PATH, "stripe/payment_intent_succeeded")

        intent = await gateway.confirm_intent(INTENT, "pm_card_visa", idempotency_key="again")

        assert intent.status == "succeeded"
        assert len(recorded_api.requests_to("GET", INTENT_PATH)) == 1

    async def test_an_unknown_payment_method_is_refused(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "POST", f"{INTENT_PATH}/confirm", "stripe/error_no_such_payment_method", status=400
        )

        with pytest.raises(UnknownPaymentMethod) as refused:
            await gateway.confirm_intent(INTENT, "pm_unknown", idempotency_key="unknown")

        assert refused.value.details == [
            {"field": "paymentMethod", "message": "No such PaymentMethod: 'pm_unknown'"}
        ]


class TestRetrieveIntent:
    async def test_a_declined_attempt_reads_as_failed(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", INTENT_PATH, "stripe/payment_intent_failed")

        intent = await gateway.retrieve_intent(INTENT)

        [sent] = recorded_api.requests_to("GET", INTENT_PATH)
        assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
        assert (intent.status, intent.failure_code) == ("failed", "insufficient_funds")

    async def test_an_unknown_intent_is_not_found(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply(
            "GET", "/v1/payment_intents/pi_missing", "stripe/error_no_such_intent", status=404
        )

        with pytest.raises(NotFound):
            await gateway.retrieve_intent("pi_missing")

    @pytest.mark.parametrize(
        ("stripe_status", "error", "ours"),
        [
            ("requires_payment_method", None, "requires_payment_method"),
            ("requires_payment_method", {"code": "card_declined"}, "failed"),
            ("requires_confirmation", None, "requires_payment_method"),
            ("requires_action", None, "requires_action"),
            ("requires_capture", None, "processing"),
            ("processing", None, "processing"),
            ("succeeded", None, "succeeded"),
            ("canceled", None, "canceled"),
        ],
    )
    def test_every_stripe_status_has_one_of_ours(
        self, stripe_status: str, error: dict[str, Any] | None, ours: str
    ) -> None:
        assert intent_status({"status": stripe_status, "last_payment_error": error}) == ours


class TestRefunds:
    async def test_a_partial_refund_sends_minor_units_and_the_idempotency_key(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("POST", "/v1/refunds", "stripe/refund_pending")

        refund = await gateway.refund(
            INTENT, Decimal("750.00"), "INR", idempotency_key="refund:0193a8f2-aaaa"
        )

        [sent] = recorded_api.requests_to("POST", "/v1/refunds")
        assert sent.form == {"payment_intent": INTENT, "amount": "75000"}
        assert sent.headers["idempotency-key"] == "refund:0193a8f2-aaaa"
        assert refund == GatewayRefund(
            id="re_3QxKk2SBq4mN0dGv1RfNd001",
            intent_id=INTENT,
            amount=Decimal("750.00"),
            currency="INR",
            status="pending",
        )

    @pytest.mark.parametrize(
        ("recording", "status"),
        [
            ("refund_pending", "pending"),
            ("refund_succeeded", "succeeded"),
            ("refund_failed", "failed"),
            ("refund_canceled", "failed"),
        ],
    )
    async def test_a_refund_is_read_back_with_our_status(
        self, gateway: StripeGateway, recorded_api: RecordedApi, recording: str, status: str
    ) -> None:
        recorded_api.reply("GET", "/v1/refunds/re_3QxKk2SBq4mN0dGv1RfNd001", f"stripe/{recording}")

        refund = await gateway.retrieve_refund("re_3QxKk2SBq4mN0dGv1RfNd001")

        assert (refund.status, refund.intent_id, refund.amount) == (
            status,
            INTENT,
            Decimal("750.00"),
        )

    async def test_refunding_more_than_was_paid_is_a_conflict(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("POST", "/v1/refunds", "stripe/error_refund_too_large", status=400)

        with pytest.raises(Conflict):
            await gateway.refund(INTENT, Decimal("2000.00"), "INR", idempotency_key="refund:big")


class TestListIntents:
    async def test_every_page_since_the_date_oldest_first(
        self, gateway: StripeGateway, recorded_api: RecordedApi
    ) -> None:
        recorded_api.reply("GET", "/v1/payment_intents", "stripe/payment_intents_page_1")
        recorded_api.reply("GET", "/v1/payment_intents", "stripe/payment_intents_page_2")
        since = datetime(2025, 11, 24, tzinfo=UTC)

        intents = await gateway.list_intents(since)

        first, second = recorded_api.requests_to("GET", "/v1/payment_intents")
        assert first.query == {"created[gte]": [str(int(since.timestamp()))], "limit": ["100"]}
        assert second.query["starting_after"] == [INTENT]
        assert [(i.id, i.status) for i in intents] == [
            ("pi_3QxJh1SBq4mN0dGv0OlDeR01", "succeeded"),
            (INTENT, "succeeded"),
            ("pi_3QxLm3SBq4mN0dGv2NeWeR02", "requires_payment_method"),
        ]


class TestWebhooks:
    def test_a_signed_payment_event_names_its_intent(self, gateway: StripeGateway) -> None:
        body = event_body("event_payment_intent_succeeded")

        event = gateway.verify_webhook(signed(body), body)

        assert (event.id, event.type, event.intent_id, event.refund_id) == (
            "evt_3QxKk2SBq4mN0dGv1EvNt001",
            "payment_intent.succeeded",
            INTENT,
            None,
        )
        assert event.created == datetime.fromtimestamp(1764000055, UTC)
        assert event.data["status"] == "succeeded"

    def test_a_failed_payment_event_names_its_intent(self, gateway: StripeGateway) -> None:
        body = event_body("event_payment_intent_payment_failed")

        event = gateway.verify_webhook(signed(body), body)

        assert (event.type, event.intent_id) == ("payment_intent.payment_failed", INTENT)

    @pytest.mark.parametrize("recording", ["event_charge_refunded", "event_refund_updated"])
    def test_a_refund_event_names_the_refund_and_its_intent(
        self, gateway: StripeGateway, recording: str
    ) -> None:
        body = event_body(recording)

        event = gateway.verify_webhook(signed(body), body)

        assert (event.intent_id, event.refund_id) == (INTENT, "re_3QxKk2SBq4mN0dGv1RfNd001")

    def test_an_event_about_something_else_names_nothing(self, gateway: StripeGateway) -> None:
        body = event_body("event_customer_created")

        event = gateway.verify_webhook(signed(body), body)

        assert (event.type, event.intent_id, event.refund_id) == ("customer.created", None, None)

    def test_a_rotated_secret_still_verifies_with_either_signature(
        self, gateway: StripeGateway
    ) -> None:
        body = event_body("event_payment_intent_succeeded")
        old = signed(body, secret="whsec_the_previous_secret")["Stripe-Signature"]
        new = signed(body)["Stripe-Signature"]
        header = old + "," + new.split(",")[1]

        event = gateway.verify_webhook({"stripe-signature": header}, body)

        assert event.intent_id == INTENT

    def test_a_forged_signature_is_rejected(self, gateway: StripeGateway) -> None:
        body = event_body("event_payment_intent_succeeded")

        with pytest.raises(InvalidWebhook):
            gateway.verify_webhook(signed(body, secret="whsec_not_ours"), body)

    def test_a_changed_body_is_rejected(self, gateway: StripeGateway) -> None:
        body = event_body("event_payment_intent_succeeded")
        headers = signed(body)
        tampered = body.replace(b'"amount": 150000', b'"amount": 15')

        with pytest.raises(InvalidWebhook):
            gateway.verify_webhook(headers, tampered)

    def test_a_stale_event_is_rejected(self, gateway: StripeGateway) -> None:
        body = event_body("event_payment_intent_succeeded")

        with pytest.raises(InvalidWebhook, match="too old"):
            gateway.verify_webhook(signed(body, at=int(time.time()) - 301), body)

    def test_an_event_just_inside_the_tolerance_is_accepted(self, gateway: StripeGateway) -> None:
        body = event_body("event_payment_intent_succeeded")

        event = gateway.verify_webhook(signed(body, at=int(time.time()) - 290), body)

        assert event.intent_id == INTENT

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Stripe-Signature": ""}, {"Stripe-Signature": "v1=abc"}, {"Stripe-Signature": "t=1"}],
    )
    def test_a_missing_or_malformed_signature_is_rejected(
        self, gateway: StripeGateway, headers: dict[str, str]
    ) -> None:
        body = event_body("event_payment_intent_succeeded")

        with pytest.raises(InvalidWebhook):
            gateway.verify_webhook(headers, body)

    def test_a_signed_body_that_is_not_an_event_is_rejected(self, gateway: StripeGateway) -> None:
        body = b'{"hello": "world"}'

        with pytest.raises(InvalidWebhook, match="not a Stripe event"):
            gateway.verify_webhook(signed(body), body)


class TestSettings:
    def test_stripe_needs_its_keys(self, tmp_path: Path) -> None:
        settings = Settings(env="test", data_dir=tmp_path, payment_gateway="stripe")  # type: ignore[call-arg]

        with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY"):
            StripeGateway.from_settings(settings)

    async def test_configured_from_settings(self, tmp_path: Path) -> None:
        settings = Settings(  # type: ignore[call-arg]
            env="test",
            data_dir=tmp_path,
            payment_gateway="stripe",
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            public_url="https://klearkarma.example/",
        )

        stripe = StripeGateway.from_settings(settings)
        try:
            assert stripe.return_url == RETURN_URL
            assert stripe.webhook_secret == WEBHOOK_SECRET
        finally:
            await stripe.aclose()
