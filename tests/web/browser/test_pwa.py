"""The installable app: the service worker caches the shell and serves the offline page."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.browser.conftest import PHONE, new_context, shoot


def test_offline_navigation_shows_the_cached_offline_page(
    browser: Browser, web_server: str
) -> None:
    context = new_context(browser, web_server, PHONE, service_workers="allow")
    page = context.new_page()
    page.goto("/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # The first page was loaded before the worker took control; once it has claimed the page,
    # navigations go through it.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cached = page.evaluate(
        "caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
        ".then(c => c.keys())))).then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    )
    assert "/offline" in cached
    assert "/static/css/app.css" in cached

    context.set_offline(True)
    page.goto("/search?q=reiki")

    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    # The shell's stylesheet came from the cache too: the page is styled.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(250, 247, 242)"
    shoot(page, "pwa-offline")
    context.set_offline(False)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a practitioner you can trust")
    context.close()


def test_manifest_is_linked_and_installable(browser: Browser, web_server: str) -> None:
    context = new_context(browser, web_server, PHONE)
    page = context.new_page()
    page.goto("/")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.request.get(href or "").json()

    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).ok
    context.close()
