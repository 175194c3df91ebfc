"""Sign-up and two-factor sign-in in a real browser, and the CSRF check refusing a tampered form."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.web.browser.conftest import DESKTOP, PASSWORD, PHONE, new_context, shoot, unique_email


def _sign_up(page: Page, email: str) -> None:
    page.goto("/signup")
    page.get_by_label("First name").fill("Nila")
    page.get_by_label("Last name").fill("Iyer")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome to Klear Karma")


def test_sign_up_then_sign_in_with_two_factor(browser: Browser, web_server: str) -> None:
    context = new_context(browser, web_server, PHONE, timezone_id="Asia/Kolkata")
    page = context.new_page()
    email = unique_email("twofactor")
    _sign_up(page, email)

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Password and sign-in").click()
    page.get_by_role("button", name="Set up two-factor").click()
    secret = (page.locator("[data-mfa-secret]").text_content() or "").replace(" ", "")
    totp = pyotp.TOTP(secret)
    shoot(page, "accounts-2fa-setup")
    page.get_by_label("6-digit code").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flash-info")).to_contain_text("You have signed out.")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Authentication code").fill("123456")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The two-factor code is not valid.")
    shoot(page, "accounts-2fa-wrong-code")
    page.get_by_label("Authentication code").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Verify and sign in").click()

    expect(page.locator(".flash-success")).to_contain_text("You are signed in.")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    context.close()


def test_a_form_with_a_tampered_csrf_token_is_refused(browser: Browser, web_server: str) -> None:
    context = new_context(browser, web_server, DESKTOP)
    page = context.new_page()
    email = unique_email("csrf")
    _sign_up(page, email)
    page.goto("/account")

    page.locator('form[action="/account/profile"] input[name="csrf_token"]').evaluate(
        "input => { input.value = 'forged' }"
    )
    page.get_by_label("Last name").fill("Changed")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("can't do that"))
    expect(page.locator("main")).to_contain_text("This form has expired")
    shoot(page, "accounts-csrf-refused")
    page.goto("/account")
    expect(page.get_by_label("Last name")).to_have_value("Iyer")  # nothing was saved
    context.close()
