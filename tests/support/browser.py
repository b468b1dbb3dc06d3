"""Playwright driving Debian's Chromium (never a downloaded browser).

Outside CI the browser tests skip when /usr/bin/chromium is absent; in CI they must run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tests.support.helpers import IN_CI, sign_in

CHROMIUM = Path("/usr/bin/chromium")
# How long an action (a click, a page loaded) or an assertion (expect) waits. Playwright's
# assertions wait 5 s by default, a third of its actions' time here: on a loaded machine a page
# answering a request, a form sent and its page loaded, has taken longer than that.
TIMEOUT_MS = 15_000
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    _require_chromium()
    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are
    # still synchronous, so Django's async-safety guard is relaxed for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def page_kept_on_back(chromium) -> Iterator[object]:
    """A page in a Chromium that keeps the pages left in its back/forward cache, as browsers do
    unless told not to: Playwright tells it not to. Back then shows the page as it was left,
    scripts and form fields included, without loading it again."""
    browser = chromium.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=LAUNCH_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    browser.close()


def sign_in_by_cookie(page: object, base_url: str, username: str) -> None:
    """Gives the browser a session signed in as `username` (helpers.sign_in): tests of what a
    signed-in user sees skip the sign-in form, which tests of signing in fill in."""
    session = sign_in(Client(), User.objects.get(username=username)).cookies[
        settings.SESSION_COOKIE_NAME
    ]
    page.context.add_cookies([{"name": session.key, "value": session.value, "url": base_url}])


def wait_until_true(page: object, function: str, arg: object = None) -> None:
    """page.wait_for_function given a JavaScript function, never an expression. Playwright evals
    the string at each try until it gives a function, which it keeps; the pages' CSP (no
    'unsafe-eval') lets only the first try, made from DevTools, eval, so an expression false
    at first failed at the second try with an EvalError."""
    assert "=>" in function, f"{function!r} is no arrow function"
    page.wait_for_function(function, arg=arg)


def fits_the_screen(page: object) -> bool:
    """No sideways scrolling: nothing is wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def save_screenshot(page: object, name: str) -> Path:
    """Keep a full-page screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two colours as getComputedStyle writes them, "rgb(r, g, b)"."""

    def luminance(colour: str) -> float:
        channels = [int(value) / 255 for value in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
