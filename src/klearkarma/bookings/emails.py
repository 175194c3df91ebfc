"""What a booking tells its two parties by email; times are written in each reader's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from klearkarma.notifications.mailer import Email


def when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A %d %B %Y, %H:%M} ({zone})"


def _email(to: str, first_name: str, subject: str, *lines: str) -> Email:
    text = "\n\n".join([f"Hi {first_name},", *lines, "— Klear Karma"])
    return Email(to=[to], subject=subject, text=text)


def confirmed(to: str, first_name: str, service: str, other: str, at: str) -> Email:
    return _email(
        to,
        first_name,
        f"Confirmed: {service} on {at}",
        f"Your session “{service}” with {other} is confirmed for {at}.",
        "We will remind you a day and an hour before it starts.",
    )


def reminder(to: str, first_name: str, service: str, other: str, at: str, lead: str) -> Email:
    return _email(
        to,
        first_name,
        f"Reminder: {service} in {lead}",
        f"Your session “{service}” with {other} starts in {lead}, on {at}.",
    )


def rescheduled(to: str, first_name: str, service: str, other: str, at: str) -> Email:
    return _email(
        to,
        first_name,
        f"Moved: {service} is now on {at}",
        f"Your session “{service}” with {other} has moved to {at}.",
    )


def cancelled(to: str, first_name: str, service: str, other: str, at: str, reason: str) -> Email:
    lines = [f"Your session “{service}” with {other} on {at} was cancelled."]
    if reason:
        lines.append(f"Reason: {reason}")
    return _email(to, first_name, f"Cancelled: {service} on {at}", *lines)
