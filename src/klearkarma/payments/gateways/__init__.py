"""Payment processors behind one interface, chosen by ``KLEARKARMA_PAYMENT_GATEWAY``."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from klearkarma.config import Settings
from klearkarma.core.db import Database
from klearkarma.payments.gateways.base import PaymentGateway, PayoutProvider
from klearkarma.payments.gateways.sandbox import Chaos, Deliver, SandboxGateway, SandboxPayouts

WEBHOOK_PATH = "/v1/payments/webhooks/{gateway}"


def sandbox_secret(settings: Settings) -> str:
    """The sandbox's webhook secret: configured, or derived from the platform's secret key."""
    if settings.sandbox_webhook_secret is not None:
        return settings.sandbox_webhook_secret.get_secret_value()
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"sandbox-webhooks", hashlib.sha256).hexdigest()


def http_deliverer(url: str) -> Deliver:
    """Post webhooks over HTTP, as the real processor would."""

    async def deliver(body: bytes, headers: dict[str, str]) -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=body, headers=headers)
            return response.status_code

    return deliver


def build_gateway(settings: Settings, database_url: str) -> PaymentGateway:
    if settings.payment_gateway == "stripe":
        from klearkarma.payments.gateways.stripe import StripeGateway

        return StripeGateway.from_settings(settings)
    if settings.payment_gateway == "razorpay":
        from klearkarma.payments.gateways.razorpay import RazorpayGateway

        return RazorpayGateway.from_settings(settings)
    url = settings.public_url.rstrip("/") + WEBHOOK_PATH.format(gateway="sandbox")
    return SandboxGateway(
        Database.connect(database_url, pool_size=2),
        sandbox_secret(settings),
        deliver=http_deliverer(url) if settings.sandbox_webhook_delivery else None,
        chaos=Chaos(),
    )


def build_payouts(settings: Settings) -> PayoutProvider:
    return SandboxPayouts()


__all__ = ["PaymentGateway", "PayoutProvider", "build_gateway", "build_payouts"]
