"""The emails the identity context sends."""

from __future__ import annotations

from html import escape

from klearkarma.notifications.mailer import Email


def _html(greeting: str, lines: list[str], link: str | None = None, label: str = "") -> str:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    button = f'<p><a href="{escape(link)}">{escape(label)}</a></p>' if link else ""
    return f"<p>{escape(greeting)}</p>{body}{button}<p>— Klear Karma</p>"


def verify_email(to: str, first_name: str, link: str, token: str) -> Email:
    lines = [
        "Confirm your email address to finish setting up your Klear Karma account.",
        f"Open this link (valid for 48 hours): {link}",
        f"Or enter this code in the app: {token}",
    ]
    return Email(
        to=[to],
        subject="Confirm your email address",
        text="\n\n".join([f"Hi {first_name},", *lines, "— Klear Karma"]),
        html=_html(f"Hi {first_name},", lines[:1], link, "Confirm my email"),
    )


def reset_password(to: str, first_name: str, link: str, token: str) -> Email:
    lines = [
        "Someone (hopefully you) asked to reset your Klear Karma password.",
        f"Open this link within an hour to choose a new one: {link}",
        f"Reset code: {token}",
        "If you did not ask for this, ignore this email: your password stays as it is.",
    ]
    return Email(
        to=[to],
        subject="Reset your password",
        text="\n\n".join([f"Hi {first_name},", *lines, "— Klear Karma"]),
        html=_html(f"Hi {first_name},", [lines[0], lines[3]], link, "Choose a new password"),
    )


def password_changed(to: str, first_name: str) -> Email:
    lines = [
        "Your Klear Karma password was just changed and your other sessions were signed out.",
        "If this was not you, reset your password now and contact support.",
    ]
    return Email(
        to=[to],
        subject="Your password was changed",
        text="\n\n".join([f"Hi {first_name},", *lines, "— Klear Karma"]),
        html=_html(f"Hi {first_name},", lines),
    )
