"""API v1 docs page in Chromium: it renders under the strict CSP and asks no outside host."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.wsgi import get_wsgi_application

pytestmark = [pytest.mark.e2e]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def docs_server() -> Iterator[SimpleNamespace]:
    """The app on a loopback port. The docs page and the schema touch no database, so a plain WSGI
    server is enough (pytest-django's live_server trips over MEDIA_URL = None)."""
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()


def test_docs_render_without_csp_violations_or_outside_requests(docs_server):
    live_server = docs_server
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            problems: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{live_server.url}/api/v1/docs")
            page.locator(".opblock").first.wait_for()
            assert page.locator(".opblock-tag", has_text="documents").count() == 1
            page.locator(".opblock-summary", has_text="/api/v1/documents").first.click()
            page.locator(".parameters-container").first.wait_for()
            assert problems == []
            outside = [u for u in requests if not u.startswith(live_server.url) and not u.startswith("data:")]
            assert outside == []
        finally:
            browser.close()
