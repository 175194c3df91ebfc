"""The seeker journey in a real browser, on a phone and on a desktop: search, profile, a free
slot in the browser's own time zone, sign-up on the way, hold, pay with the sandbox's test Visa,
and a confirmed booking with an "add to calendar" file."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.web.browser.conftest import DESKTOP, PASSWORD, PHONE, new_context, shoot, unique_email


@pytest.mark.parametrize(
    ("label", "viewport", "zone"),
    [("phone", PHONE, "Europe/London"), ("desktop", DESKTOP, "Asia/Kolkata")],
)
def test_search_to_a_paid_confirmed_booking(
    browser: Browser, web_server: str, label: str, viewport: dict[str, int], zone: str
) -> None:
    context = new_context(browser, web_server, viewport, timezone_id=zone)
    page = context.new_page()

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a practitioner you can trust")
    shoot(page, f"journey-{label}-1-home")
    page.get_by_label("What are you looking for?").fill("Ananya yoga")
    page.get_by_label("What are you looking for?").press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=Ananya"))
    shoot(page, f"journey-{label}-2-search")
    page.get_by_role("link", name="Ananya Rao").first.click()

    expect(page.get_by_role("heading", name=re.compile("Ananya Rao"))).to_be_visible()
    picker = page.locator("[data-slot-picker]")
    # slots.js re-draws the week in the browser's zone (Chromium may name it by an alias).
    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert browser_zone in {zone, "Asia/Calcutta"}
    expect(picker).to_have_attribute("data-slot-ready", browser_zone)
    expect(page.locator("[data-slot-zone-label]")).to_have_text(browser_zone)
    shoot(page, f"journey-{label}-3-profile")
    first_slot = page.locator(".slot-option label").first
    slot_value = page.locator(".slot-option input").first.get_attribute("value") or ""
    first_slot.click()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    page.get_by_role("link", name="Create a free account").click()
    page.get_by_label("First name").fill("Riya")
    page.get_by_label("Last name").fill("Kapoor")
    page.get_by_label("Email address").fill(unique_email(f"journey-{label}"))
    page.get_by_label("Password").fill(PASSWORD)
    shoot(page, f"journey-{label}-4-signup")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("Welcome to Klear Karma")
    when = slot_value[:10]
    expect(page.locator(".summary-list")).to_contain_text("Ananya Rao")
    shoot(page, f"journey-{label}-5-review")
    page.get_by_label("Anything the practitioner should know?").fill("First time trying yoga")
    page.get_by_role("button", name="Hold this time and pay").click()

    expect(page.get_by_role("heading", name="Pay and confirm")).to_be_visible()
    page.get_by_label("Card").select_option("pm_card_visa")
    shoot(page, f"journey-{label}-6-pay")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    expect(page.locator("[data-booking-status]")).to_have_text("Confirmed")
    # The account took the browser's zone at sign-up, so the time reads as it does locally.
    expect(page.locator(".summary-list")).to_contain_text("GMT" if label == "phone" else "IST")
    calendar = page.get_by_role("link", name="Add to calendar (.ics)")
    expect(calendar).to_be_visible()
    shoot(page, f"journey-{label}-7-confirmed")
    ics = page.request.get(calendar.get_attribute("href") or "")
    assert ics.ok
    assert ics.headers["content-type"].startswith("text/calendar")
    body = ics.text()
    assert "BEGIN:VEVENT" in body
    assert "Ananya Rao" in body
    assert when  # the slot picked on the profile had a date
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My bookings").click()
    expect(page.locator(".booking-list")).to_contain_text("Ananya Rao")
    context.close()


def test_a_declined_card_can_be_retried_with_another(browser: Browser, web_server: str) -> None:
    context = new_context(browser, web_server, DESKTOP, timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.goto("/signup")
    page.get_by_label("First name").fill("Dev")
    page.get_by_label("Last name").fill("Sharma")
    page.get_by_label("Email address").fill(unique_email("declined"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.goto("/search?q=Ananya")
    page.get_by_role("link", name="Ananya Rao").first.click()
    expect(page.locator("[data-slot-picker]")).to_have_attribute(
        "data-slot-ready", re.compile("Asia/(Kolkata|Calcutta)")
    )
    page.locator(".slot-option label").last.click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Hold this time and pay").click()

    page.get_by_label("Card").select_option("pm_card_declined")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was charged")
    expect(page.get_by_label("Card")).to_have_attribute("aria-invalid", "true")
    shoot(page, "journey-declined-card")
    page.get_by_label("Card").select_option("pm_card_visa")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    context.close()
