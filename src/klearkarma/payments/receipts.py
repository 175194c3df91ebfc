"""Receipts: what a completed payment bought, its GST lines and its refunds, as HTML and PDF.

Prices on the platform include GST. For a payment in rupees the receipt splits the total into
the taxable value and the tax: CGST and SGST at half the rate each for a supply inside the
platform's state, IGST at the full rate for one across states. We do not hold the payer's
state, so receipts are intra-state until we do (``gst_breakdown`` takes ``interstate``). Each
tax line is rounded half-up to the paisa and the taxable value takes what rounding leaves, so
the lines always add up to the total exactly. Other currencies carry no GST.

Only a payment that completed has a receipt (its number is assigned when the money arrives);
refunds made later are listed on it with the net amount paid.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpdf import FPDF
from fpdf.enums import TextMode, XPos, YPos
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klearkarma.bookings import lifecycle as bookings
from klearkarma.config import Settings
from klearkarma.core.errors import NotFound
from klearkarma.identity import service as identity
from klearkarma.identity.policy import Principal
from klearkarma.payments import service as payments
from klearkarma.payments.models import (
    Payment,
    PaymentPurpose,
    Plan,
    PlanPurchase,
    Refund,
    RefundStatus,
)
from klearkarma.practitioners import service as practitioners

CENT = Decimal("0.01")
HOME_ZONE = "Asia/Kolkata"
SELLER = "Klear Karma"
GST_CURRENCY = "INR"


# Tax.


@dataclass(frozen=True, slots=True)
class TaxLine:
    name: str  # "CGST", "SGST" or "IGST"
    rate: Decimal  # 0.09 for 9%
    amount: Decimal

    @property
    def percent(self) -> str:
        return _plain(self.rate * 100)


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """A GST-inclusive total split into its taxable value and tax lines."""

    taxable_value: Decimal
    lines: tuple[TaxLine, ...]

    @property
    def tax(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.taxable_value + self.tax


def gst_breakdown(amount: Decimal, rate: Decimal, *, interstate: bool = False) -> TaxBreakdown:
    """Split a GST-inclusive ``amount``: the tax on ``amount / (1 + rate)``, line by line.

    Every tax line is rounded half-up to the paisa; the taxable value is what remains, so
    ``taxable_value + sum(lines) == amount`` to the paisa whatever the rounding did.
    """
    amount = amount.quantize(CENT)
    base = amount / (1 + rate)
    shares = [("IGST", rate)] if interstate else [("CGST", rate / 2), ("SGST", rate / 2)]
    lines = tuple(
        TaxLine(name, share, (base * share).quantize(CENT, ROUND_HALF_UP)) for name, share in shares
    )
    taxable = amount - sum((line.amount for line in lines), Decimal("0.00"))
    return TaxBreakdown(taxable_value=taxable, lines=lines)


def is_interstate(supplier_gstin: str, recipient_state: str | None) -> bool:
    """Whether a supply crosses states: the GSTIN starts with the supplier's state code.

    Unknown recipient state: treated as intra-state (CGST + SGST).
    """
    return recipient_state is not None and recipient_state != supplier_gstin[:2]


# The receipt.


@dataclass(frozen=True, slots=True)
class LineItem:
    description: str
    details: tuple[str, ...]
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RefundLine:
    amount: Decimal
    created_at: datetime  # in the receipt's time zone
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything a receipt shows, already in the payer's time zone."""

    receipt_number: str
    payment_id: uuid.UUID
    issued_at: datetime
    zone: str
    seller: str
    seller_gstin: str
    payer_name: str
    payer_email: str
    payment_method: str | None
    currency: str
    items: tuple[LineItem, ...]
    total: Decimal
    tax: TaxBreakdown | None  # None: no GST on this currency
    refunds: tuple[RefundLine, ...]
    refunded: Decimal  # refunds made or on their way (failed ones excluded)
    net_paid: Decimal

    @property
    def filename(self) -> str:
        return f"{self.receipt_number}.pdf"


async def build_receipt(
    session: AsyncSession, settings: Settings, principal: Principal, payment_id: uuid.UUID
) -> Receipt:
    """The receipt of a completed payment the caller may read (payer, practitioner, admin)."""
    payment = await payments.get_payment(session, principal, payment_id)
    if payment.receipt_number is None or payment.completed_at is None:
        raise NotFound("This payment has no receipt: it has not completed.")
    payer = await identity.get_user(session, payment.payer_id)
    zone = _zone(payer.timezone if payer is not None else None)
    refunds = (await payments.refunds_of(session, [payment.id]))[payment.id]
    counted = sum(
        (r.amount for r in refunds if r.status is not RefundStatus.FAILED), Decimal("0.00")
    )
    tax = None
    if payment.currency.upper() == GST_CURRENCY:
        tax = gst_breakdown(
            payment.amount,
            settings.gst_rate,
            interstate=is_interstate(settings.gstin, None),
        )
    return Receipt(
        receipt_number=payment.receipt_number,
        payment_id=payment.id,
        issued_at=payment.completed_at.astimezone(ZoneInfo(zone)),
        zone=zone,
        seller=SELLER,
        seller_gstin=settings.gstin,
        payer_name=payer.full_name if payer is not None else "",
        payer_email=payer.email if payer is not None else "",
        payment_method=method_label(payment.payment_method),
        currency=payment.currency.upper(),
        items=(await _line_item(session, principal, payment, zone),),
        total=payment.amount,
        tax=tax,
        refunds=tuple(_refund_line(r, zone) for r in refunds),
        refunded=counted,
        net_paid=payment.amount - counted,
    )


def _zone(name: str | None) -> str:
    if name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return HOME_ZONE
        return name
    return HOME_ZONE


def _refund_line(refund: Refund, zone: str) -> RefundLine:
    return RefundLine(
        amount=refund.amount,
        created_at=refund.created_at.astimezone(ZoneInfo(zone)),
        status=refund.status.value,
        reason=refund.reason,
    )


async def _line_item(
    session: AsyncSession, principal: Principal, payment: Payment, zone: str
) -> LineItem:
    if payment.booking_id is not None:
        view = await bookings.get_booking(session, principal, payment.booking_id)
        start = view.booking.scheduled_at.astimezone(ZoneInfo(zone))
        details: tuple[str, ...] = (
            f"with {view.practitioner_name}",
            f"{start:%d %b %Y, %H:%M} ({zone}), {view.booking.duration_minutes} min, "
            f"{view.booking.mode.value.replace('_', ' ')}",
        )
        if payment.purpose is PaymentPurpose.CREDIT:
            details += ("Paid with a plan credit",)
        return LineItem(view.service_name, details, payment.amount)
    if payment.purchase_id is not None:
        return await _plan_item(session, principal, payment, payment.purchase_id, zone)
    return LineItem("Payment", (), payment.amount)


async def _plan_item(
    session: AsyncSession,
    principal: Principal,
    payment: Payment,
    purchase_id: uuid.UUID,
    zone: str,
) -> LineItem:
    row = (
        await session.execute(
            select(Plan, PlanPurchase)
            .join(PlanPurchase, PlanPurchase.plan_id == Plan.id)
            .where(PlanPurchase.id == purchase_id)
        )
    ).one_or_none()
    if row is None:
        return LineItem("Plan purchase", (), payment.amount)
    plan, bought = row
    details = [f"{plan.sessions} sessions, {plan.kind.value}"]
    if bought.period_start is not None and bought.period_end is not None:
        start, end = (
            at.astimezone(ZoneInfo(zone)) for at in (bought.period_start, bought.period_end)
        )
        details.append(f"{start:%d %b %Y} to {end:%d %b %Y}")
    try:
        practitioner, _ = await practitioners.get_practitioner_for(
            session, plan.practitioner_id, principal
        )
    except NotFound:  # the profile is hidden now; the receipt still stands without the name
        pass
    else:
        details.insert(0, f"with {practitioner.display_name}")
    return LineItem(plan.name, tuple(details), payment.amount)


def method_label(method: str | None) -> str | None:
    """A readable payment method: "pm_card_visa" is "Card (visa)"."""
    if not method:
        return None
    if method.startswith("plan:"):
        return "Plan credit"
    name = method.removeprefix("pm_")
    kind, _, rest = name.partition("_")
    return f"{kind.capitalize()} ({rest.replace('_', ' ')})" if rest else kind.capitalize()


# Formatting.


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def money(amount: Decimal, currency: str, *, symbol: bool = True) -> str:
    """``₹1,50,000.00`` in Indian grouping for rupees; ``USD 1,500.00`` otherwise."""
    value = amount.quantize(CENT, ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, paise = f"{abs(value):f}".partition(".")
    if currency == GST_CURRENCY:
        head, tail = whole[:-3], whole[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        grouped = ",".join([*groups, tail]) if groups else tail
        prefix = "₹" if symbol else "INR "
    else:
        grouped = f"{int(whole):,}"
        prefix = f"{currency} "
    return f"{sign}{prefix}{grouped}.{paise}"


# HTML.


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("klearkarma.payments", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    content_security_policy: str


def render_html(receipt: Receipt) -> Rendered:
    """The receipt as a standalone page, with a CSP that admits only its own inline style."""
    html = _templates().get_template("receipt.html").render(r=receipt, money=money)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
        for css in _STYLE.findall(html)
    )
    styles = hashes or "'none'"
    csp = (
        f"default-src 'none'; style-src {styles}; img-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return Rendered(html, csp)


# PDF.

FONT = "NotoSans"
INK = (33, 37, 41)
MUTED = (108, 117, 125)


def _font_path() -> str:
    # Noto Sans ships as a variable font; its default instance is the regular weight. Bold is
    # drawn by stroking the glyphs (instancing the bold weight costs seconds per document).
    files = importlib.resources.files("fontpkg_noto_sans") / "files"
    return str(files / "NotoSans[wdth,wght].ttf")


class _ReceiptPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FONT, "", _font_path())
        self.set_text_color(*INK)

    def text_line(
        self, text: str, *, size: float = 10, bold: bool = False, muted: bool = False
    ) -> None:
        self._styled(size, bold=bold, muted=muted)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._reset()

    def row(
        self, label: str, value: str, *, size: float = 10, bold: bool = False, muted: bool = False
    ) -> None:
        """A label on the left and an amount on the right, on one line."""
        self._styled(size, bold=bold, muted=muted)
        width = self.epw * 0.7
        height = size * 0.55
        self.multi_cell(width, height, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        y_after = self.get_y()
        self.cell(0, height, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(self.get_y(), y_after))
        self._reset()

    def rule(self) -> None:
        self.set_draw_color(*MUTED)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(3)

    def _styled(self, size: float, *, bold: bool, muted: bool) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*(MUTED if muted else INK))
        if bold:
            self.text_mode = TextMode.FILL_STROKE
            self.set_draw_color(*INK)
            self.set_line_width(size * 0.012)

    def _reset(self) -> None:
        self.text_mode = TextMode.FILL
        self.set_text_color(*INK)


def render_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4 PDF (CPU-bound: call it off the event loop)."""
    cur = receipt.currency
    pdf = _ReceiptPDF()
    pdf.set_title(f"Receipt {receipt.receipt_number}")
    pdf.set_author(receipt.seller)
    pdf.set_creation_date(receipt.issued_at)
    pdf.add_page()
    pdf.text_line(receipt.seller, size=18, bold=True)
    pdf.text_line(f"GSTIN {receipt.seller_gstin}", size=9, muted=True)
    pdf.ln(4)
    pdf.text_line("Payment receipt", size=14, bold=True)
    pdf.row("Receipt number", receipt.receipt_number)
    pdf.row("Date", f"{receipt.issued_at:%d %b %Y, %H:%M} ({receipt.zone})")
    if receipt.payment_method:
        pdf.row("Paid with", receipt.payment_method)
    pdf.ln(3)
    pdf.text_line("Billed to", size=9, muted=True)
    pdf.text_line(receipt.payer_name or "-")
    pdf.text_line(receipt.payer_email or "-", muted=True)
    pdf.ln(3)
    pdf.rule()
    for item in receipt.items:
        pdf.row(item.description, money(item.amount, cur), bold=True)
        for detail in item.details:
            pdf.text_line(detail, size=9, muted=True)
    pdf.rule()
    if receipt.tax is not None:
        pdf.row("Taxable value", money(receipt.tax.taxable_value, cur))
        for line in receipt.tax.lines:
            pdf.row(f"{line.name} @ {line.percent}%", money(line.amount, cur))
    else:
        pdf.row("Tax", "not applicable", muted=True)
    pdf.row("Total (tax included)", money(receipt.total, cur), size=12, bold=True)
    if receipt.refunds:
        pdf.ln(3)
        pdf.text_line("Refunds", size=11, bold=True)
        for refund in receipt.refunds:
            pdf.row(
                f"{refund.created_at:%d %b %Y} - {refund.status}",
                f"-{money(refund.amount, cur)}",
                muted=refund.status == RefundStatus.FAILED.value,
            )
        pdf.row("Net paid", money(receipt.net_paid, cur), size=12, bold=True)
    pdf.ln(6)
    note = "Prices include GST. " if receipt.tax is not None else ""
    pdf.text_line(f"{note}Payment {receipt.payment_id}.", size=8, muted=True)
    return bytes(pdf.output())
