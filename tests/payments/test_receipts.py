"""Receipts: GST lines that add up, who may read them, HTML that escapes, PDF that parses."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest_asyncio
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import update

from klearkarma.app import create_app
from klearkarma.core.http import install_error_handlers
from klearkarma.payments import receipts_api
from klearkarma.payments.models import Payment
from klearkarma.payments.receipts import gst_breakdown, is_interstate, money
from klearkarma.platform import Platform
from tests.bookings.helpers import new_seeker, open_calendar
from tests.identity.helpers import error_code
from tests.payments.helpers import Paid, intent_for, paid_booking, pay, pending_booking
from tests.practitioners.helpers import new_practitioner

RATE = Decimal("0.18")
RECEIPT = "/v1/payments/{}/receipt"
RECEIPT_PDF = "/v1/payments/{}/receipt.pdf"


def _has_receipts(app: FastAPI) -> bool:
    return any(getattr(route, "path", "") == RECEIPT.format("{payment_id}") for route in app.routes)


@pytest_asyncio.fixture
async def receipts(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the receipt routes: the real app once it mounts them, else a small app."""
    app = create_app(platform=platform)
    if not _has_receipts(app):
        app = FastAPI()
        app.state.platform = platform
        install_error_handlers(app)
        app.include_router(receipts_api.router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    ) as http:
        yield http


async def receipt_number(platform: Platform, payment_id: str) -> str:
    async with platform.db.transaction() as session:
        payment = await session.get(Payment, uuid.UUID(payment_id))
        assert payment is not None
        assert payment.receipt_number is not None
        return payment.receipt_number


# Tax lines.


@settings(max_examples=500, deadline=None)
@given(
    amount=st.decimals(
        min_value=Decimal("1.00"), max_value=Decimal("100000.00"), places=2, allow_nan=False
    ),
    interstate=st.booleans(),
)
def test_tax_lines_add_up_to_the_total_exactly(amount: Decimal, interstate: bool) -> None:
    tax = gst_breakdown(amount, RATE, interstate=interstate)

    assert tax.taxable_value + sum(line.amount for line in tax.lines) == amount
    assert tax.total == amount
    for value in (tax.taxable_value, *(line.amount for line in tax.lines)):
        assert value == value.quantize(Decimal("0.01"))
    exact_tax = amount - amount / (1 + RATE)
    assert abs(tax.tax - exact_tax) <= Decimal("0.01")
    if interstate:
        assert [(line.name, line.rate) for line in tax.lines] == [("IGST", RATE)]
    else:
        cgst, sgst = tax.lines
        assert (cgst.name, sgst.name) == ("CGST", "SGST")
        assert cgst.amount == sgst.amount
        assert cgst.rate == sgst.rate == RATE / 2


def test_a_known_amount_splits_as_an_accountant_would() -> None:
    tax = gst_breakdown(Decimal("1500.00"), RATE)

    assert tax.taxable_value == Decimal("1271.18")  # 1271.19 rounded, less the spare paisa
    assert [(line.name, line.percent, line.amount) for line in tax.lines] == [
        ("CGST", "9", Decimal("114.41")),
        ("SGST", "9", Decimal("114.41")),
    ]
    igst = gst_breakdown(Decimal("1500.00"), RATE, interstate=True)
    assert (igst.taxable_value, igst.lines[0].amount) == (Decimal("1271.19"), Decimal("228.81"))


def test_interstate_only_when_the_payer_state_is_known_and_differs() -> None:
    assert not is_interstate("29AAACK1234K1Z5", None)
    assert not is_interstate("29AAACK1234K1Z5", "29")
    assert is_interstate("29AAACK1234K1Z5", "27")


def test_rupees_use_indian_grouping() -> None:
    assert money(Decimal("150000"), "INR") == "₹1,50,000.00"
    assert money(Decimal("999.5"), "INR") == "₹999.50"
    assert money(Decimal("12345678.9"), "INR", symbol=False) == "INR 1,23,45,678.90"
    assert money(Decimal("1500"), "USD") == "USD 1,500.00"


# Reading a receipt.


async def test_the_payer_gets_an_html_receipt_with_gst_lines(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    number = await receipt_number(platform, paid.payment_id)

    response = await receipts.get(RECEIPT.format(paid.payment_id), headers=paid.seeker)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-store"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "style-src 'sha256-" in csp
    page = response.text
    assert number in page
    assert "Private yoga" in page
    assert "Asha Verma" in page
    assert 'Taxable value</td><td class="amount">₹1,271.18' in page
    assert page.count("₹114.41") == 2
    assert "CGST @ 9%" in page
    assert "SGST @ 9%" in page
    assert 'Total (tax included)</td><td class="amount">₹1,500.00' in page
    assert "(Asia/Kolkata)" in page
    assert "Card (visa)" in page
    assert "Refunds" not in page


async def test_html_escapes_a_hostile_name(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    hostile = '<script>alert("x")</script>'
    renamed = await client.put(
        "/v1/users/profile",
        json={"firstName": hostile, "lastName": "O'Neil & <b>Sons</b>"},
        headers=paid.seeker,
    )
    assert renamed.status_code == 200, renamed.text

    page = (await receipts.get(RECEIPT.format(paid.payment_id), headers=paid.seeker)).text

    assert "<script>" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "O&#39;Neil &amp; &lt;b&gt;Sons&lt;/b&gt;" in page


async def test_the_date_is_in_the_payers_time_zone(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    moved = await client.put(
        "/v1/users/profile", json={"timezone": "America/New_York"}, headers=paid.seeker
    )
    assert moved.status_code == 200, moved.text

    page = (await receipts.get(RECEIPT.format(paid.payment_id), headers=paid.seeker)).text

    assert "(America/New_York)" in page
    assert "(Asia/Kolkata)" not in page


async def test_the_pdf_parses_and_names_the_receipt_and_total(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    number = await receipt_number(platform, paid.payment_id)

    response = await receipts.get(RECEIPT_PDF.format(paid.payment_id), headers=paid.seeker)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert number in text
    assert "₹1,500.00" in text
    assert "₹1,271.18" in text
    assert "CGST @ 9%" in text
    assert "SGST @ 9%" in text
    assert "Asha Verma" in text


async def test_refunds_and_the_net_paid_are_shown(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    refunded = await client.post(
        "/v1/payments/refund",
        json={"paymentId": paid.payment_id, "amount": "500.00"},
        headers=paid.calendar.admin,
    )
    assert refunded.status_code == 201, refunded.text

    page = (await receipts.get(RECEIPT.format(paid.payment_id), headers=paid.seeker)).text
    pdf = await receipts.get(RECEIPT_PDF.format(paid.payment_id), headers=paid.seeker)

    assert "<h2>Refunds</h2>" in page
    assert "-₹500.00" in page
    assert 'Net paid</td><td class="amount">₹1,000.00' in page
    assert 'Total (tax included)</td><td class="amount">₹1,500.00' in page
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Net paid" in text
    assert "₹1,000.00" in text


async def test_other_currencies_carry_no_gst(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    async with platform.db.transaction() as session:  # as if it had been charged in dollars
        await session.execute(
            update(Payment).where(Payment.id == uuid.UUID(paid.payment_id)).values(currency="USD")
        )

    page = (await receipts.get(RECEIPT.format(paid.payment_id), headers=paid.seeker)).text
    pdf = await receipts.get(RECEIPT_PDF.format(paid.payment_id), headers=paid.seeker)

    assert "GST" not in page.replace("GSTIN", "")
    assert 'Tax</td><td class="amount muted">not applicable' in page
    assert "USD 1,500.00" in page
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "not applicable" in text
    assert "USD 1,500.00" in text
    assert "CGST" not in text


async def test_a_plan_purchase_names_the_plan(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    calendar = await open_calendar(client, platform)
    plan = await client.post(
        "/v1/plans",
        json={
            "serviceId": calendar.service_id,
            "kind": "package",
            "name": "Five <quiet> mornings",
            "sessions": 5,
            "periodDays": 90,
            "price": "6750.00",
        },
        headers=calendar.owner,
    )
    assert plan.status_code == 201, plan.text
    seeker = await new_seeker(client)
    opened = await client.post(
        "/v1/payments/create-intent", json={"planId": plan.json()["data"]["id"]}, headers=seeker
    )
    assert opened.status_code == 201, opened.text
    intent = opened.json()["data"]
    assert (await pay(client, seeker, intent["paymentIntentId"])).status_code == 200

    page = (await receipts.get(RECEIPT.format(intent["paymentId"]), headers=seeker)).text

    assert "Five &lt;quiet&gt; mornings" in page
    assert "5 sessions, package" in page
    assert 'Total (tax included)</td><td class="amount">₹6,750.00' in page
    assert 'Taxable value</td><td class="amount">₹5,720.34' in page
    assert page.count("₹514.83") == 2


# Who may read it.


async def _both(receipts: httpx.AsyncClient, paid: Paid, headers: dict[str, str]) -> list[int]:
    return [
        (await receipts.get(path.format(paid.payment_id), headers=headers)).status_code
        for path in (RECEIPT, RECEIPT_PDF)
    ]


async def test_the_practitioner_and_an_admin_can_read_it(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)

    assert await _both(receipts, paid, paid.calendar.owner) == [200, 200]
    assert await _both(receipts, paid, paid.calendar.admin) == [200, 200]
    page = (await receipts.get(RECEIPT.format(paid.payment_id), headers=paid.calendar.admin)).text
    assert "Asha Verma" in page
    assert "Private yoga" in page


async def test_a_stranger_gets_404(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)
    other_seeker = await new_seeker(client)
    other_practitioner, _ = await new_practitioner(client)

    for headers in (other_seeker, other_practitioner):
        for path in (RECEIPT, RECEIPT_PDF):
            response = await receipts.get(path.format(paid.payment_id), headers=headers)
            assert response.status_code == 404, response.text
            assert error_code(response) == "NOT_FOUND"
            assert "Asha" not in response.text


async def test_signing_in_is_required_and_unknown_ids_are_404(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    paid = await paid_booking(client, platform)

    anonymous = await receipts.get(RECEIPT.format(paid.payment_id))
    unknown = await receipts.get(RECEIPT.format(uuid.uuid4()), headers=paid.seeker)

    assert anonymous.status_code == 401
    assert error_code(anonymous) == "UNAUTHORIZED"
    assert unknown.status_code == 404


async def test_a_payment_that_did_not_complete_has_no_receipt(
    client: httpx.AsyncClient, platform: Platform, receipts: httpx.AsyncClient
) -> None:
    calendar = await open_calendar(client, platform)
    _, seeker, booking_id = await pending_booking(client, platform, calendar=calendar)
    opened = (await intent_for(client, seeker, booking_id)).json()["data"]
    _, declined_seeker, declined_booking = await pending_booking(
        client, platform, calendar=calendar, hour=10
    )
    declined = (await intent_for(client, declined_seeker, declined_booking)).json()["data"]
    refused = await pay(client, declined_seeker, declined["paymentIntentId"], "pm_card_declined")
    assert refused.status_code == 402, refused.text

    for who, payment_id in (
        (seeker, opened["paymentId"]),
        (declined_seeker, declined["paymentId"]),
    ):
        for path in (RECEIPT, RECEIPT_PDF):
            response = await receipts.get(path.format(payment_id), headers=who)
            assert response.status_code == 404, response.text
            assert error_code(response) == "NOT_FOUND"
            assert "has not completed" in response.json()["error"]["message"]
