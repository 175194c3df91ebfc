"""The money and timing rules of a booking, as pure functions the lifecycle applies.

Kept apart from the database so the policy can be read, tested and changed in one place; the
payments context carries out the refunds decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from klearkarma.bookings.models import BookingStatus

CENT = Decimal("0.01")

# pending → confirmed → completed; pending|confirmed → cancelled; confirmed → no_show.
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED}),
    BookingStatus.CONFIRMED: frozenset(
        {BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW}
    ),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
}

# A practitioner may open a session this long before it is due.
START_EARLY = timedelta(minutes=15)


def can_move(current: BookingStatus, target: BookingStatus) -> bool:
    return target in TRANSITIONS[current]


def money(value: Decimal) -> Decimal:
    """Round to the paisa/cent, half up, the way invoices do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def commission(total: Decimal, rate: Decimal) -> Decimal:
    return money(total * rate)


@dataclass(frozen=True, slots=True)
class CancellationPolicy:
    """Defaults: full refund 24 h or more before the start, half within 24 h, none after it;
    a practitioner's (or an admin's) cancellation always refunds in full."""

    full_refund_before: timedelta = timedelta(hours=24)
    late_fraction: Decimal = Decimal("0.5")

    def refund_fraction(self, starts_at: datetime, cancelled_at: datetime, by: str) -> Decimal:
        if by in ("practitioner", "admin", "system"):
            return Decimal(1)
        if cancelled_at >= starts_at:
            return Decimal(0)
        if starts_at - cancelled_at >= self.full_refund_before:
            return Decimal(1)
        return self.late_fraction

    def refund_amount(
        self, paid: Decimal, starts_at: datetime, cancelled_at: datetime, by: str
    ) -> Decimal:
        return money(paid * self.refund_fraction(starts_at, cancelled_at, by))


def reschedule_allowed(starts_at: datetime, now: datetime, by: str, notice: timedelta) -> bool:
    """Seekers move a session up to ``notice`` before it starts; practitioners and admins until
    it starts."""
    if now >= starts_at:
        return False
    return by != "seeker" or starts_at - now >= notice
