"""A practitioner in a real browser, on a phone and on a desktop: sign up, walk the onboarding
wizard (profile, a credential upload, a service, availability with an extra range added in the
form), land on the dashboard and earnings pages; an axe-core scan of each of those pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.web.browser.conftest import DESKTOP, PASSWORD, PHONE, new_context, shoot, unique_email
from tests.web.browser.test_accessibility import scan

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_practitioner_onboards_and_sets_availability(
    browser: Browser, web_server: str, label: str, viewport: dict[str, int]
) -> None:
    # axe is injected as a script: let it past the pages' script-src 'self' policy.
    context = new_context(
        browser, web_server, viewport, timezone_id="Asia/Kolkata", bypass_csp=True
    )
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}

    page.goto("/signup?role=practitioner&next=/practitioner/onboarding")
    expect(page.get_by_label("Offer sessions as a practitioner")).to_be_checked()
    page.get_by_label("First name").fill("Meera")
    page.get_by_label("Last name").fill("Iyer")
    page.get_by_label("Email address").fill(unique_email(f"healer-{label}"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # Step 1: the profile.
    expect(page.get_by_role("heading", name="Set up your practice")).to_be_visible()
    expect(page.locator("#onboarding-progress")).to_have_text("0 of 4 steps done.")
    found["onboarding-profile"] = scan(page, f"practitioner-{label}-1-profile")
    expect(page.get_by_label("Name shown to seekers")).to_have_value("Meera Iyer")
    page.get_by_label("Headline").fill("Gentle yoga for stiff backs")
    page.get_by_label("About you").fill("Iyengar-trained teacher, twelve years of practice.")
    page.get_by_label("Years of experience").fill("12")
    page.get_by_label("Hourly rate (₹)").fill("1800")
    page.get_by_label("Yoga", exact=True).check()
    page.get_by_label("Meditation", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    # Step 2: credentials — resumable, the status shown from here on.
    expect(page.get_by_role("heading", name="Your credentials")).to_be_visible()
    expect(page.locator("[data-verification-status]")).to_have_attribute(
        "data-verification-status", "pending"
    )
    page.get_by_label("Certificate or licence").set_input_files(
        {"name": "ryt-500.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload document").click()
    expect(page.get_by_role("link", name="ryt-500.pdf")).to_be_visible()
    shoot(page, f"practitioner-{label}-2-credentials")
    # Leaving and coming back resumes at the first step not done.
    page.goto("/practitioner")
    expect(page.get_by_role("heading", name="Your services")).to_be_visible()

    # Step 3: a service.
    page.get_by_label("Service name").fill("Private yoga")
    page.get_by_label("Modality").select_option("yoga")
    page.get_by_label("Length (minutes)").fill("60")
    page.get_by_label("Price (₹)").fill("1500")
    page.get_by_label("Where").select_option("online")
    page.get_by_role("button", name="Add service").click()
    expect(page.locator(".flash-success")).to_contain_text("Private yoga")
    shoot(page, f"practitioner-{label}-3-services")
    page.get_by_role("link", name="Continue to availability").click()

    # Step 4: availability — Mon-Fri 9-5 suggested; add Saturday morning without saving first.
    expect(page.get_by_role("heading", name="Your availability")).to_be_visible()
    found["onboarding-availability"] = scan(page, f"practitioner-{label}-4-availability")
    page.get_by_role("button", name="Add hours on Saturday").click()
    page.get_by_label("From (Saturday, range 1)").fill("08:00")
    page.get_by_label("To (Saturday, range 1)").fill("11:00")
    page.get_by_label("Time zone of these hours").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save availability").first.click()

    expect(page.locator("#onboarding-progress")).to_have_text("4 of 4 steps done.")
    expect(page.get_by_role("heading", name="You're all set")).to_be_visible()
    shoot(page, f"practitioner-{label}-5-done")

    # The availability editor shows what was saved; an overlapping range is refused in place.
    page.get_by_role("navigation", name="Your practice").get_by_role(
        "link", name="Availability"
    ).click()
    expect(page.get_by_label("From (Saturday, range 1)")).to_have_value("08:00")
    found["availability"] = scan(page, f"practitioner-{label}-6-availability")
    page.get_by_role("button", name="Add hours on Monday").click()
    page.get_by_label("From (Monday, range 2)").fill("16:00")
    page.get_by_label("To (Monday, range 2)").fill("18:00")
    page.get_by_role("button", name="Save availability").first.click()
    expect(page.get_by_role("alert")).to_contain_text("Overlaps another range.")
    expect(page.get_by_label("From (Monday, range 2)")).to_have_attribute("aria-invalid", "true")
    shoot(page, f"practitioner-{label}-7-availability-error")
    page.get_by_role("button", name="Remove Monday range 2").click()
    page.get_by_role("button", name="Save availability").first.click()
    expect(page.locator(".flash-success")).to_have_text("Your availability is saved.")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My practice").click()
    expect(page.get_by_role("heading", name="Your bookings")).to_be_visible()
    found["dashboard"] = scan(page, f"practitioner-{label}-8-dashboard")
    page.goto("/practitioner/earnings")
    expect(page.locator("[data-earnings=available]")).to_have_text("₹0")
    found["earnings"] = scan(page, f"practitioner-{label}-9-earnings")
    page.goto("/practitioner/services")
    found["services"] = scan(page, f"practitioner-{label}-10-services")
    context.close()

    problems = {name: v for name, v in found.items() if v}
    assert not problems, json.dumps(problems, indent=2)


def test_a_demo_practitioner_sees_their_bookings_by_keyboard(
    browser: Browser, web_server: str
) -> None:
    """The dashboard and a booking's page are reachable and operable from the keyboard."""
    context = new_context(browser, web_server, PHONE, timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.goto("/signup?role=practitioner&next=/practitioner/bookings")
    page.get_by_label("First name").fill("Kiran")
    page.get_by_label("Last name").fill("Das")
    page.get_by_label("Email address").fill(unique_email("keyboard"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your bookings")).to_be_visible()
    expect(page.get_by_text("continue onboarding")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    link = page.get_by_role("link", name="Availability", exact=True)
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/practitioner/onboarding$"))
    context.close()
