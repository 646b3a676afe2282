"""End-to-end fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

- Never downloads a browser: it launches /usr/bin/chromium (Makefile `browser` installs it).
- Every request the page makes is routed through `guard_outside_hosts`: a request to any host
  but the live server's is aborted and fails the test (the platform must run air-gapped).
- Every HTML page the browser loads must carry a Content-Security-Policy whose script-src has
  no 'unsafe-inline', and the browser must report no CSP violation in its console.
- On failure a screenshot goes to test-results/<test id>.png (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Debian's chromium package (installed by `make browser`); Playwright never downloads a browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
# Playwright's own timeout for each action and navigation (not an assertion about speed).
ACTION_TIMEOUT_MS = 15_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def _uploads_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploads of the browser tests go to a temporary folder, not the project's var/.

    The settings leave MEDIA_URL unset (no URL maps to uploads), which Django's live server
    cannot handle (it urlparses None). A URL with a host is never served by the live server, so
    uploads stay reachable only through the views that check visibility."""
    from django.conf import settings
    from django.test import override_settings

    media = tmp_path_factory.mktemp("e2e-media")
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
    }
    with override_settings(MEDIA_URL="http://uploads.invalid/", MEDIA_ROOT=str(media), STORAGES=storages):
        yield


# Module scope, not session: Playwright's sync API allows one running instance per thread, and
# other browser tests outside this folder start their own once these modules are done.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BrowserGuard:
    """What the checks collected while the test ran; asserted when the context closes."""

    def __init__(self, allowed_netloc: str) -> None:
        self.allowed_netloc = allowed_netloc
        self.outside: list[str] = []
        self.csp_problems: list[str] = []
        self.console_errors: list[str] = []
        self.pages_checked = 0

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == self.allowed_netloc:
            route.continue_()
            return
        self.outside.append(url)
        route.abort()

    def on_response(self, response: Any) -> None:
        if response.request.resource_type != "document" or urlsplit(response.url).netloc != self.allowed_netloc:
            return
        if 300 <= response.status < 400:
            return
        self.pages_checked += 1
        policy = response.headers.get("content-security-policy")
        if not policy:
            self.csp_problems.append(f"{response.url}: no Content-Security-Policy header")
            return
        directives = {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";") if d.strip()}
        script = directives.get("script-src") or directives.get("default-src") or ""
        if "'unsafe-inline'" in script or "'unsafe-eval'" in script:
            self.csp_problems.append(f"{response.url}: script policy allows inline code: {script}")

    def on_console(self, page: Any, message: Any) -> None:
        text = message.text
        if message.type == "error" and re.search(r"Content Security Policy|Refused to", text):
            self.console_errors.append(f"{page.url}: {text}")

    def assert_clean(self) -> None:
        assert not self.outside, f"requests left for outside hosts: {self.outside}"
        assert not self.csp_problems, "\n".join(self.csp_problems)
        assert not self.console_errors, "CSP violations in the browser:\n" + "\n".join(self.console_errors)


@pytest.fixture
def new_context(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A factory of fresh browser contexts (separate cookie jars: one per person) with the guards."""
    netloc = urlsplit(live_server.url).netloc
    guard = BrowserGuard(netloc)
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.route("**/*", guard.route)
        context.on("response", guard.on_response)
        context.on("page", lambda page: page.on("console", lambda message: guard.on_console(page, message)))
        contexts.append(context)
        return context

    make.guard = guard  # type: ignore[attr-defined]
    yield make
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    if failed:
        RESULTS.mkdir(exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                # A failing screenshot must never hide the real failure.
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(RESULTS / f"{safe}-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()
    # Only a test that passed is checked further (a failed or xfailed one has said enough).
    if report is not None and report.passed and not hasattr(report, "wasxfail"):
        guard.assert_clean()
        assert guard.pages_checked > 0, "no HTML page was loaded, so nothing was checked"


@pytest.fixture
def page(new_context: Any) -> Any:
    """One page in one fresh context."""
    return new_context().new_page()


def sign_in_as(context: Any, live_server: Any, user: Any) -> None:
    """Put a signed-in session for `user` in `context` (for steps that are not about signing in)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def totp_now(secret: str) -> str:
    """The current TOTP code for a base32 secret (allauth's own arithmetic).

    allauth accepts only the current period's code (no tolerance), so a code computed in the
    last seconds of a period could expire before the browser submits it: wait for the next
    period then (this avoids a flaky boundary; it asserts nothing about time)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    period = app_settings.TOTP_PERIOD
    remaining = period - time.time() % period
    if remaining < 5:
        time.sleep(remaining + 0.1)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))
