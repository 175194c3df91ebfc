"""An admin in a real browser, on a phone and on a desktop: created with the CLI, turns on
two-factor authentication (admins must), opens a pending practitioner's credential from the
verification queue and verifies them; then finds and suspends an account. axe-core scans the
verification queue and the users pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browser.conftest import (
    DESKTOP,
    PASSWORD,
    PHONE,
    ROOT,
    new_context,
    shoot,
    unique_email,
)
from tests.web.browser.test_accessibility import scan

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _create_admin(database_url: str) -> str:
    """Admins never come from sign-up: ``klearkarma create-admin``, as an operator would."""
    email = unique_email("ops")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "klearkarma.cli",
            "create-admin",
            "--email",
            email,
            "--password",
            PASSWORD,
        ],
        env={**os.environ, "DATABASE_URL": database_url, "KLEARKARMA_BCRYPT_ROUNDS": "4"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return email


def _pending_practitioner(base: str, name: str) -> str:
    """A practitioner who signed up and uploaded a licence through the API; their profile id."""
    with httpx.Client(base_url=base, timeout=30) as api:
        registered = api.post(
            "/v1/auth/register",
            json={
                "email": unique_email("pending"),
                "password": PASSWORD,
                "firstName": name.split()[0],
                "lastName": name.split()[1],
                "userType": "practitioner",
            },
        )
        assert registered.status_code == 201, registered.text
        token = registered.json()["data"]["tokens"]["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        created = api.post(
            "/v1/practitioners",
            json={"hourlyRate": "1200.00", "specializations": ["reiki"], "headline": "Reiki"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        pid = str(created.json()["data"]["id"])
        uploaded = api.post(
            f"/v1/practitioners/{pid}/documents",
            files={"file": ("reiki-master.pdf", PDF, "application/pdf")},
            headers=headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        return pid


def _find_in_queue(page: Page, pid: str) -> None:
    """Page through the queue (oldest first) until the practitioner's card shows."""
    page.goto("/admin/verification")
    card = page.locator(f'[data-practitioner="{pid}"]')
    for _ in range(20):
        if card.count():
            return
        page.get_by_role("link", name="Next").click()
    raise AssertionError(f"practitioner {pid} is not in the verification queue")


@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_admin_verifies_a_practitioner(
    browser: Browser,
    web_server: str,
    web_database_url: str,
    label: str,
    viewport: dict[str, int],
) -> None:
    email = _create_admin(web_database_url)
    name = "Anil Kumar" if label == "phone" else "Sunita Rao"
    pid = _pending_practitioner(web_server, name)
    context = new_context(
        browser, web_server, viewport, timezone_id="Asia/Kolkata", bypass_csp=True
    )
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}

    page.goto("/login?next=/admin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("turn on two-factor authentication")).to_be_visible()
    shoot(page, f"admin-{label}-1-needs-2fa")

    page.goto("/account/security")
    page.get_by_role("button", name="Set up two-factor").click()
    secret = (page.locator("[data-mfa-secret]").text_content() or "").replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.locator(".codes")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Verification queue")).to_be_visible()
    found["verification-queue"] = scan(page, f"admin-{label}-2-queue")
    _find_in_queue(page, pid)
    card = page.locator(f'[data-practitioner="{pid}"]')
    card.scroll_into_view_if_needed()
    shoot(page, f"admin-{label}-3-practitioner")
    document = card.get_by_role("link", name="reiki-master.pdf")
    download = page.request.get(document.get_attribute("href") or "")
    assert download.ok
    assert download.body() == PDF

    # Rejecting without a reason is refused on the form itself.
    card.get_by_label("Reject: ask for changes").check()
    card.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why, so the practitioner can fix it.")
    card = page.locator(f'[data-practitioner="{pid}"]')
    card.get_by_label("Verify: credentials check out").check()
    card.get_by_label("Reason").fill("Reiki master certificate checked")
    card.get_by_role("button", name="Record decision").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{name} is verified")
    shoot(page, f"admin-{label}-4-verified")
    page.goto(f"/practitioners/{pid}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()

    # Users: search, open, suspend with a reason.
    page.goto("/admin/users")
    page.get_by_label("Email or name").fill(name)
    page.get_by_role("button", name="Search").click()
    found["users"] = scan(page, f"admin-{label}-5-users")
    page.get_by_role("link", name=name).click()
    found["user"] = scan(page, f"admin-{label}-6-user")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Reason").fill("Test suspension")
    page.get_by_role("button", name="Suspend account").click()
    expect(page.locator("[data-account-status]")).to_have_text("Suspended")
    page.goto("/admin/security?show=all")
    found["security"] = scan(page, f"admin-{label}-7-security")
    page.goto("/admin/bookings")
    found["bookings"] = scan(page, f"admin-{label}-8-bookings")
    context.close()

    problems = {key: v for key, v in found.items() if v}
    assert not problems, json.dumps(problems, indent=2)
