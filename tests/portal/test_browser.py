"""Alice applies for LAGPeR in a real browser (Debian's Chromium driven by Playwright).

See tests/browser.py for how Chromium is driven.
"""

import pytest
from playwright.sync_api import expect

from requests_app.models import LicenseRequest
from tests.browser import fill_application, shot, sign_in

pytestmark = pytest.mark.browser


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
