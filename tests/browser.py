"""Driving Debian's Chromium through Playwright: the `page` fixture (conftest.py) and page helpers.

If Chromium is missing the browser tests fail: `make test` installs it, and a skipped browser test
would hide a page that no longer works. Screenshots land in var/screenshots/ for a person to look at.
"""

from pathlib import Path

from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from .factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


class _OneRequestAtATime(WSGIServer):
    """Django's live server answers each request in a thread of its own, but on SQLite every thread
    shares the test's one in-memory connection: two images a page loads at once then collide
    ("cannot start a transaction within a transaction") and one answers 500. Served in turn, only
    the server's own thread uses it (and Django asks the browser to close each HTTP connection,
    as a server with one thread must)."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


def live_server(address: str):
    """pytest-django's live server, answering one request at a time (the `live_server` fixture)."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(address, start=False)
    server.thread.server_class = _OneRequestAtATime
    server.start()
    yield server
    server.stop()


def chromium_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes around
    # it are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # Inside Playwright's event loop the ORM keeps its connections apart from the test's own;
        # close them here, or PostgreSQL refuses to drop the test database at the end.
        connections.close_all()


def shot(page, name):
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    shot(page, "sign-in")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Sign In')")
    expect(page.locator("nav")).to_contain_text(user.email)


def fill_application(page):
    page.fill("#id_representative_name", "Prof. Li Wei 李伟")
    page.fill("#id_representative_title", "Dean of the School of Computing")
    page.fill("#id_signing_date", timezone.localdate().isoformat())
    page.fill("#id_organisation", "Example University")
    page.fill("#id_address", "1 University Road\nSpringfield")
    page.fill("#id_unit", "Vision Lab")
    page.fill("#id_email", "dean@uni.example")
    page.fill("#id_research_purpose", "Benchmarking aerial-ground person re-identification.")
