"""Alice applies for LAGPeR in a real browser (Debian's Chromium driven by Playwright).

If Chromium is missing this fails: `make test` installs it, and a skipped browser test would hide
a page that no longer works. Screenshots land in var/screenshots/ for a person to look at.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from requests_app.models import LicenseRequest

from .factories import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def page(monkeypatch):
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


def test_alice_applies_in_chromium_and_sees_her_reference(page, live_server, alice, lagper):
    sign_in(page, live_server, alice)

    page.goto(f"{live_server.url}/datasets/lagper/")
    expect(page.locator("h1")).to_have_text("LAGPeR")
    shot(page, "dataset")
    page.click("text=Apply for LAGPeR")

    # First attempt: markup in the unit and clause 3 left unticked.
    fill_application(page)
    page.fill("#id_unit", "Vision Lab</para>")
    for number in (1, 2, 4):
        page.check(f"#id_clause_{number}")
    page.click("button[name=submit]")
    expect(page.locator("#error_1_id_unit")).to_contain_text("Remove the markup")
    expect(page.locator("#error_1_id_clause_3")).to_contain_text("You must accept this clause")
    expect(page.locator("#id_representative_name")).to_have_value("Prof. Li Wei 李伟")
    shot(page, "apply-errors")
    assert not LicenseRequest.objects.exists()

    page.fill("#id_unit", "Vision Lab")
    page.check("#id_clause_3")
    page.click("button[name=submit]")

    request = LicenseRequest.objects.get(applicant=alice)
    expect(page).to_have_url(f"{live_server.url}{request.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text(request.reference)
    expect(page.locator("body")).to_contain_text("Awaiting signed agreement")
    expect(page.locator("table.history")).to_contain_text("Submitted; every clause accepted.")
    expect(page.locator("body")).to_contain_text("PROF. LI WEI 李伟")
    shot(page, "request-status")

    page.click("nav >> text=My requests")
    expect(page.locator("table")).to_contain_text(request.reference)
    shot(page, "my-requests")


def test_the_signup_page_asks_for_email_and_password(page, live_server, db):
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.locator("input[name=email]")).to_be_visible()
    expect(page.locator("input[name=password1]")).to_be_visible()
    shot(page, "sign-up")
