"""Browser tests: Debian's Chromium driven by Playwright against a real uvicorn server.

The server is ``klearkarma serve`` in a subprocess on a free port, on a scratch database of the
test PostgreSQL server (migrated and filled with the demo marketplace at start-up, as ``make run``
does), with Redis when ``REDIS_URL`` is set. Screenshots are written to ``artifacts/screenshots/``.

Chromium comes from Debian (``apt-get install chromium``); Playwright never downloads a browser.
Outside CI, the tests skip when it is not installed; in CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from klearkarma.core import migrate
from tests.conftest import _free_port, scratch_database

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = "Debian's Chromium is not installed: apt-get install -y chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="package")
def web_database_url(server_url: str) -> Iterator[str]:
    """The browser tests' server's database (tests that must set up rows a page cannot, such as
    an admin account, which only the CLI creates, use it)."""
    _require_chromium()
    with scratch_database(server_url, "kk_web") as database_url:
        migrate.upgrade(database_url)
        yield database_url


@pytest.fixture(scope="package")
def web_server(web_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running server with the demo marketplace loaded."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("web-server")
    log_path = ROOT / "artifacts" / "web-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KLEARKARMA_ENV": "development",
        "DATABASE_URL": web_database_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATA_DIR": str(data_dir),
        "DEMO_DATA": "1",
        "KLEARKARMA_RUN_WORKER": "false",
        "KLEARKARMA_RATE_LIMIT_ENABLED": "false",
        "KLEARKARMA_BCRYPT_ROUNDS": "4",
        "KLEARKARMA_CACHE_PREFIX": f"kk-web-{uuid.uuid4().hex[:8]}:",
        "KLEARKARMA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "klearkarma.cli", "serve"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(base, process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def _wait_until_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the web server exited at start-up; see artifacts/web-server.log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError("the web server did not become healthy within 180 s")


# Package scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and the async tests that run after this package need the thread's loop back.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    _require_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


def new_context(
    browser: Browser, base: str, viewport: dict[str, int], **options: object
) -> BrowserContext:
    context = browser.new_context(
        base_url=base,
        viewport=viewport,  # type: ignore[arg-type]
        is_mobile=viewport["width"] < 600,
        has_touch=viewport["width"] < 600,
        locale="en-IN",
        **options,  # type: ignore[arg-type]
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def desktop(browser: Browser, web_server: str) -> Iterator[Page]:
    context = new_context(browser, web_server, DESKTOP, timezone_id="Asia/Kolkata")
    yield context.new_page()
    context.close()


def shoot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


PASSWORD = "Lotus-Harbour-7731"
