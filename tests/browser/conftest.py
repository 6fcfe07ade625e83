"""Playwright with Debian's Chromium: never a downloaded browser, never a request elsewhere."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("CORRIDOR_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Browser tests share one live server and a real browser; keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        # Never a skip, in CI or not: a missing browser must not pass for a passing suite.
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (run scripts/system-deps gettext chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


class RequestLog:
    """Every request a page made; any host other than the app's is a failure."""

    def __init__(self, base_url: str) -> None:
        self.allowed = urlparse(base_url).netloc
        self.urls: list[str] = []

    def __call__(self, request: Any) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        return [url for url in self.urls if urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).netloc != self.allowed]


@pytest.fixture
def page_factory(browser: Any, live_server: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(*, viewport: dict[str, int] | None = None, locale: str = "en-GB", javascript: bool = True) -> tuple[Any, RequestLog, str]:
        base = live_server.url.replace("127.0.0.1", "localhost")
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale=locale, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        log = RequestLog(base)
        page.on("request", log)
        return page, log, base

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base: str, user: Any, next: str = "/") -> None:
    """The real two-step sign-in in the browser: password, then the current TOTP code; it ends
    on `next` (a path on this site), where the sign-in page sends the user afterwards."""
    from corridor.accounts.testing import PASSWORD, totp_now

    page.goto(f"{base}/accounts/login/" + (f"?next={next}" if next != "/" else ""))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/verify/**")
    page.fill("#id_code", totp_now(user))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next}")
