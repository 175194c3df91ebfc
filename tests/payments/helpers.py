"""Bookings paid through the real API against the sandbox gateway, and the books checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx

from klearkarma.payments import audit
from klearkarma.payments.gateways.sandbox import SandboxGateway
from klearkarma.platform import Platform
from tests.bookings.helpers import Calendar, book, days_ahead, local, new_seeker, open_calendar


@dataclass
class Paid:
    calendar: Calendar
    seeker: dict[str, str]
    booking_id: str
    intent_id: str
    payment_id: str


def sandbox(platform: Platform) -> SandboxGateway:
    gateway = platform.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


async def pending_booking(
    client: httpx.AsyncClient,
    platform: Platform,
    *,
    calendar: Calendar | None = None,
    days: int = 5,
    hour: int = 9,
) -> tuple[Calendar, dict[str, str], str]:
    calendar = calendar or await open_calendar(client, platform)
    seeker = await new_seeker(client)
    made = await book(client, seeker, calendar, local(days_ahead(days), hour))
    assert made.status_code == 201, made.text
    return calendar, seeker, made.json()["data"]["id"]


async def intent_for(
    client: httpx.AsyncClient, seeker: dict[str, str], booking_id: str, **headers: str
) -> httpx.Response:
    return await client.post(
        "/v1/payments/create-intent", json={"bookingId": booking_id}, headers={**seeker, **headers}
    )


async def pay(
    client: httpx.AsyncClient,
    seeker: dict[str, str],
    intent_id: str,
    method: str = "pm_card_visa",
    **headers: str,
) -> httpx.Response:
    return await client.post(
        "/v1/payments/confirm",
        json={"paymentIntentId": intent_id, "paymentMethod": method},
        headers={**seeker, **headers},
    )


async def paid_booking(
    client: httpx.AsyncClient,
    platform: Platform,
    *,
    calendar: Calendar | None = None,
    days: int = 5,
    hour: int = 9,
    method: str = "pm_card_visa",
) -> Paid:
    """A confirmed booking paid with ``method`` (1500.00 INR, 15 % commission by default)."""
    calendar, seeker, booking_id = await pending_booking(
        client, platform, calendar=calendar, days=days, hour=hour
    )
    intent = await intent_for(client, seeker, booking_id)
    assert intent.status_code == 201, intent.text
    data = intent.json()["data"]
    confirmed = await pay(client, seeker, data["paymentIntentId"], method)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["status"] == "completed"
    return Paid(calendar, seeker, booking_id, data["paymentIntentId"], data["paymentId"])


async def books_balance(platform: Platform) -> None:
    """``klearkarma ledger verify`` finds nothing wrong."""
    async with platform.db.transaction() as session:
        problems = await audit.verify(session)
    assert problems == [], problems


async def deliver(
    client: httpx.AsyncClient, platform: Platform, payload: dict[str, Any]
) -> httpx.Response:
    """Post one sandbox event to our webhook endpoint, signed as the sandbox signs it."""
    body, headers = sandbox(platform).signed(payload)
    return await client.post("/v1/payments/webhooks/sandbox", content=body, headers=headers)


async def earnings(client: httpx.AsyncClient, owner: dict[str, str]) -> dict[str, str]:
    found = await client.get("/v1/practitioners/me/earnings", headers=owner)
    assert found.status_code == 200, found.text
    data: dict[str, str] = found.json()["data"]
    return data


def as_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


async def run_job(platform: Platform, job: Any, **kwargs: Any) -> None:
    """Run a registered job's code now, in this process, as the worker would."""
    await job.func(SimpleNamespace(additional_context={"platform": platform}), **kwargs)
