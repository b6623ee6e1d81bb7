"""The whole journey in Debian's Chromium, as the people who use the portal go through it.

Alice signs up and verifies her email, saves a draft, submits, downloads the agreement, has it
"signed" (the PDF rendered to an image with a scribble on it, as a phone scan would be) and uploads
it. Bob finds it in his queue, sees the scan in the page next to the integrity result, and returns
the unit for correction; alice corrects it, signs the new issue (a scanned PDF this time) and bob
approves. Alice sees the delivery instructions until bob revokes the licence. The QR code on the
paper leads a stranger to the public verification page.

Screenshots land in var/screenshots/journey-*.png for a person to look at.
"""

import re
import urllib.parse
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from requests_app.models import DeliveryView, LicenseRequest
from tests import journeys
from tests.browser import fill_application, shot, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

ALICE = "alice@lab.example"
SCAN_DPI = 150


def signed_scan(pdf_path) -> list[Image.Image]:
    """Every page of the downloaded agreement as a scanner sees it, signed in the places issued for it."""
    from tests.documents.test_signed_copy import issued_areas, sign_by_hand

    areas = issued_areas(Path(pdf_path).read_bytes())
    return [
        sign_by_hand(pdf_page.render(scale=SCAN_DPI / 72).to_pil().convert("RGB"), areas, number, SCAN_DPI)
        for number, pdf_page in enumerate(pypdfium2.PdfDocument(pdf_path), start=1)
    ]


def sign_out(page):
    page.click("nav >> button:has-text('Sign out')")
    expect(page.locator("nav")).to_contain_text("Sign in")


def download_agreement(page, tmp_path, issue):
    with page.expect_download() as download:
        page.click("text=Download the agreement (PDF)")
    assert download.value.suggested_filename.endswith(f"-agreement-{issue}.pdf")
    path = tmp_path / f"agreement-{issue}.pdf"
    download.value.save_as(path)
    return path


def upload_on_request_page(page, files, summary):
    page.set_input_files("#agreement input[type=file]", files)
    page.click("text=Upload the signed agreement")
    expect(page.locator(".alert-success")).to_contain_text(f"Signed copy received: {summary}")
    expect(page.locator(".badge").first).to_have_text("Under review")


def test_alice_applies_signs_and_bob_returns_then_approves_then_revokes(
    page, live_server, lagper, bob, tmp_path, private_media
):
    # --- Alice signs up and verifies her email --------------------------------------------------
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", ALICE)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button[type=submit]:has-text('Sign Up')")
    expect(page.locator("h1")).to_have_text("Verify Your Email Address")
    [verification] = mail.outbox
    confirm_path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", verification.body)[1]
    page.goto(live_server.url + confirm_path)
    page.click("button[type=submit]:has-text('Confirm')")
    expect(page.locator("nav")).to_contain_text(ALICE)
    expect(page.locator(".alert-success").last).to_contain_text(f"Successfully signed in as {ALICE}")
    shot(page, "journey-01-verified")

    # --- A draft first, then the application ---------------------------------------------------
    page.goto(f"{live_server.url}/datasets/lagper/")
    page.click("text=Apply for LAGPeR")
    page.fill("#id_representative_name", "Prof. Li Wei 李伟")
    page.click("button[name=save]")
    request = LicenseRequest.objects.get(applicant__email=ALICE)
    alice = request.applicant
    expect(page.locator(".alert-success")).to_have_text(f"Draft {request.reference} saved.")
    page.click("nav >> text=My requests")
    page.click(f"text={request.reference}")
    page.click("text=Continue the application")
    fill_application(page)
    for number in (1, 2, 3, 4):
        page.check(f"#id_clause_{number}")
    page.click("button[name=submit]")
    expect(page.locator(".badge").first).to_have_text("Awaiting signed agreement")
    shot(page, "journey-02-submitted")

    # --- Download, sign, upload one PNG per page -------------------------------------------------
    scan = signed_scan(download_agreement(page, tmp_path, 1))
    pngs = []
    for number, image in enumerate(scan, 1):
        pngs.append(tmp_path / f"page-{number}.png")
        image.save(pngs[-1])
    upload_on_request_page(page, pngs, "scan checked:")
    expect(page.locator("#agreement")).to_contain_text("(current)")
    shot(page, "journey-03-uploaded")

    # --- Bob sees the scan in the page and returns the unit --------------------------------------
    sign_out(page)
    sign_in(page, live_server, bob)
    page.click("nav >> text=Review")
    page.click(f".review-queue >> text={request.reference}")
    preview = page.locator(".signed-copy-preview img")
    expect(preview).to_have_count(len(scan))
    # The image really loaded (not a broken icon): the file is served inline to the reviewer.
    preview.first.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.first.element_handle())
    expect(page.locator("#agreement")).to_contain_text("match the agreement as issued")  # "all N pages match ..."
    shot(page, "journey-04-bob-sees-the-scan")
    page.check("input[name=return-returned_fields][value=unit]")
    page.fill("#id_return-reason", "Name the lab as in the university directory.")
    page.click("button:has-text('Return for correction')")
    expect(page.locator(".alert-success")).to_contain_text("returned")

    # --- Alice corrects the unit, signs the new issue, uploads a scanned PDF ---------------------
    sign_out(page)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{request.get_absolute_url()}")
    expect(page.locator(".returned-fields")).to_contain_text("Department or unit")
    page.click("text=Correct the application")
    page.fill("#id_unit", "Vision and Learning Lab")
    page.click("button[name=submit]")
    expect(page.locator(".badge").first).to_have_text("Awaiting signed agreement")
    scan = signed_scan(download_agreement(page, tmp_path, 2))
    scanned_pdf = tmp_path / "signed.pdf"
    scan[0].save(scanned_pdf, "PDF", save_all=True, append_images=scan[1:], resolution=SCAN_DPI)
    upload_on_request_page(page, [scanned_pdf], "scan checked:")
    expect(page.locator("#agreement")).to_contain_text("issue 2")

    # --- Bob approves; alice sees how to get the data --------------------------------------------
    sign_out(page)
    sign_in(page, live_server, bob)
    page.goto(f"{live_server.url}/review/{request.reference}/")
    expect(page.locator(".signed-copy-preview iframe")).to_have_count(1)
    page.click("button:has-text('Approve')")
    expect(page.locator(".badge").first).to_have_text("Approved")
    shot(page, "journey-05-bob-approved")

    sign_out(page)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{request.get_absolute_url()}")
    page.click("button:has-text('Show the delivery instructions')")
    expect(page.locator(".delivery-instructions")).to_contain_text("How to get the data")
    assert DeliveryView.objects.filter(request=request).count() == 1
    shot(page, "journey-06-alice-delivery")

    # --- Bob revokes (after confirming); alice no longer sees the instructions -------------------
    sign_out(page)
    sign_in(page, live_server, bob)
    page.goto(f"{live_server.url}/review/{request.reference}/")
    expect(page.locator(".delivery-views")).to_contain_text(ALICE)
    page.fill("#id_revoke-reason", "Shared with another lab, contrary to clause 2.")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.click("button:has-text('Revoke the licence')")
    expect(page.locator(".badge").first).to_have_text("Revoked")
    assert dialogs and dialogs[0].startswith("Revoke this licence?")

    sign_out(page)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{request.get_absolute_url()}")
    expect(page.locator("body")).to_contain_text("Your licence was revoked")
    expect(page.locator(".delivery-instructions")).to_have_count(0)

    # --- The QR code on the first paper: a stranger learns it was superseded ---------------------
    sign_out(page)
    [code] = zxingcpp.read_barcodes(Image.open(pngs[0]))
    verify = urllib.parse.urlsplit(code.text)
    page.goto(f"{live_server.url}{verify.path}?{verify.query}")
    expect(page.locator("h1")).to_have_text(f"Agreement {request.reference}")
    expect(page.locator("table")).to_contain_text("Superseded by issue 2")
    expect(page.locator("body")).not_to_contain_text("Vision")
    shot(page, "journey-07-verify")


def test_on_a_phone_no_page_of_alice_or_bob_scrolls_sideways(page, live_server, alice, bob, lagper):
    # The navbar ran off the screen (email and "Sign out" white on white) and wide tables pushed every
    # page sideways; links wrap and tables scroll inside their own box now.
    alices_request = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    page.set_viewport_size({"width": 390, "height": 844})
    for user, paths in [
        (alice, ["/requests/", alices_request.get_absolute_url(), f"{alices_request.get_absolute_url()}publications/"]),
        (bob, ["/review/", f"/review/{alices_request.reference}/", "/review/publications/lagper/"]),
    ]:
        sign_in(page, live_server, user)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        shot(page, f"journey-phone-{user.username}")
        sign_out(page)
