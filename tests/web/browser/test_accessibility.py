"""An automated accessibility scan with axe-core (from npm, in tests/web/axe) on the main pages:
no serious or critical violations of WCAG 2.1 A/AA rules, on a phone and on a desktop."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browser.conftest import DESKTOP, PASSWORD, PHONE, new_context, shoot, unique_email

AXE = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def scan(page: Page, name: str) -> list[dict[str, Any]]:
    """Run axe on the page; return its serious and critical violations."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: npm ci --prefix tests/web/axe")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    shoot(page, f"a11y-{name}")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in bad
    ]


def _journey_pages(page: Page) -> dict[str, str]:
    """Walk to each main page once; return name → URL."""
    urls = {"home": "/", "login": "/login", "signup": "/signup"}
    page.goto("/search?q=Ananya")
    urls["search"] = page.url
    page.get_by_role("link", name="Ananya Rao").first.click()
    expect(page.locator("[data-slot-picker]")).to_have_attribute("data-slot-ready", re.compile("."))
    urls["profile"] = page.url
    page.locator(".slot-option label").nth(2).click()
    page.get_by_role("button", name="Continue").click()
    urls["review"] = page.url
    return urls


@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_main_pages_have_no_serious_or_critical_violations(
    browser: Browser, web_server: str, label: str, viewport: dict[str, int]
) -> None:
    # axe is injected as a script: let it past the pages' script-src 'self' policy.
    context = new_context(browser, web_server, viewport, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    urls = _journey_pages(page)
    for name, url in urls.items():
        page.goto(url)
        found[name] = scan(page, f"{label}-{name}")

    # Signed in: the booking steps (review with the form, pay, confirmation) and my bookings.
    page.goto("/signup")
    page.get_by_label("First name").fill("Axe")
    page.get_by_label("Last name").fill("Tester")
    page.get_by_label("Email address").fill(unique_email(f"a11y-{label}"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.goto(urls["review"])
    found["review-signed-in"] = scan(page, f"{label}-review-signed-in")
    page.get_by_role("button", name="Hold this time and pay").click()
    found["pay"] = scan(page, f"{label}-pay")
    page.get_by_label("Card").select_option("pm_card_declined")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    found["pay-declined"] = scan(page, f"{label}-pay-declined")
    page.get_by_label("Card").select_option("pm_card_visa")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    found["confirmed"] = scan(page, f"{label}-confirmed")
    page.goto("/bookings")
    found["my-bookings"] = scan(page, f"{label}-my-bookings")
    for settings in ("/account", "/account/security", "/account/privacy"):
        page.goto(settings)
        found[settings] = scan(page, f"{label}-{settings.strip('/').replace('/', '-')}")
    context.close()

    problems = {name: v for name, v in found.items() if v}
    assert not problems, json.dumps(problems, indent=2)


def test_keyboard_only_skip_link_and_slot_choice(browser: Browser, web_server: str) -> None:
    context = new_context(browser, web_server, PHONE, timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.goto("/search?q=Ananya")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # visible when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.get_by_role("link", name="Ananya Rao").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-slot-picker]")).to_have_attribute("data-slot-ready", re.compile("."))
    radios = page.locator(".slot-option input")
    radios.first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    expect(radios.nth(1)).to_be_checked()
    # The focus ring is drawn on the visible label of the focused (visually hidden) radio.
    outline = (
        page.locator(".slot-option label")
        .nth(1)
        .evaluate("label => getComputedStyle(label).outlineStyle")
    )
    assert outline == "solid"
    shoot(page, "a11y-keyboard-slot")
    continue_button = page.get_by_role("button", name="Continue")
    continue_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    context.close()
