"""Scans and photos of the signed agreement: accepted when they are every issued page, unchanged, signed.

Each scan is made here from the issued PDF the way paper gets back to a computer: printed (rendered),
signed by hand (a pen stroke in the signature area the renderer recorded), then photographed
(rotated, in perspective, blurred, grey, JPEG) or scanned (300 dpi, grey paper).
"""

import io

import cv2
import numpy as np
import pypdfium2
import pytest
from PIL import Image, ImageDraw, ImageFilter
from reportlab.pdfgen import canvas

from requests_app.models import LicenseRequest, SignedCopy
from tests.documents.test_signed_copy import (  # noqa: F401
    _patient_deadline,
    as_file,
    as_pdf,
    issued_pdf,
    refused,
    sign_by_hand,
    upload,
)

pytestmark = pytest.mark.usefixtures("private_media")


def printed(pdf: bytes, dpi: int) -> list[Image.Image]:
    return [page.render(scale=dpi / 72).to_pil().convert("L") for page in pypdfium2.PdfDocument(pdf)]


def signed_pages(request, dpi: int) -> list[Image.Image]:
    areas = request.issued_agreements.latest("issue").areas
    return [sign_by_hand(page, areas, n, dpi) for n, page in enumerate(printed(issued_pdf(request), dpi), 1)]


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def phone_photo(page: Image.Image, *, degrees=3.0, paper=205) -> Image.Image:
    """Held above a desk: rotated, the top edge further away than the bottom, soft focus, grey light."""
    grey = Image.fromarray((np.asarray(page, dtype=np.float32) * (paper / 255)).astype(np.uint8))
    tilted = grey.rotate(degrees, expand=True, fillcolor=paper - 60, resample=Image.BICUBIC)
    width, height = tilted.size
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    seen = np.float32([[width * 0.025, height * 0.012], [width * 0.98, 0], [width, height], [0, height * 0.992]])
    warped = cv2.warpPerspective(
        np.asarray(tilted), cv2.getPerspectiveTransform(corners, seen), (width, height), borderValue=paper - 60
    )
    return jpeg(Image.fromarray(warped).filter(ImageFilter.GaussianBlur(1.1)), quality=70)


def grey_scan(page: Image.Image, *, degrees=-2.0, paper=225) -> Image.Image:
    """A flatbed scan: grey-toned paper, slightly crooked, a little noise."""
    tone = np.asarray(page, dtype=np.float32) * (paper / 255)
    noisy = np.clip(tone + np.random.default_rng(7).normal(0, 4, tone.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy).rotate(degrees, expand=True, fillcolor=paper, resample=Image.BICUBIC)


def accepted(request) -> SignedCopy:
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.UNDER_REVIEW
    return SignedCopy.objects.get()


# --- Accepted -----------------------------------------------------------------------------------


def test_phone_photos_of_the_signed_pages_are_accepted(alice_client, alices_request):
    photos = [
        phone_photo(page, degrees=d) for page, d in zip(signed_pages(alices_request, 150), (3.0, -3.0), strict=False)
    ]

    upload(alice_client, alices_request, *[(f"IMG_{n}.jpg", as_file(p, "JPEG")) for n, p in enumerate(photos, 1)])

    copy = accepted(alices_request)
    total = alices_request.issued_agreements.get().pages
    assert copy.kind == SignedCopy.Kind.SCAN_MATCHED
    assert [(r["page"], r["status"]) for r in copy.page_results] == [(n, "matched") for n in range(1, total + 1)]
    assert copy.page_results[-1]["signed"] is True
    assert copy.summary == f"scan checked: all {total} pages match the agreement as issued (issue 1), signed"


def on_a_desk(photo: Image.Image, *, share: float) -> Image.Image:
    """The photo taken from further away: the page fills `share` of the frame's height, off centre."""
    desk = Image.new("L", (int(photo.width / share), int(photo.height / share)), 90)
    desk.paste(photo, (desk.width - photo.width - 40, 30))
    return jpeg(desk, quality=80)


def test_a_photo_taken_from_afar_with_the_page_in_a_corner_of_the_frame_is_accepted(alice_client, alices_request):
    # The page's scale in the frame is read from its QR code, not assumed from the frame's size.
    photos = [on_a_desk(phone_photo(page), share=0.6) for page in signed_pages(alices_request, 250)]

    upload(alice_client, alices_request, *[(f"IMG_{n}.jpg", as_file(p, "JPEG")) for n, p in enumerate(photos, 1)])

    copy = accepted(alices_request)
    assert copy.kind == SignedCopy.Kind.SCAN_MATCHED
    assert {r["status"] for r in copy.page_results} == {"matched"}


def test_a_300_dpi_grey_scan_as_one_pdf_is_accepted(alice_client, alices_request, settings):
    settings.SIGNED_COPY_MAX_BYTES = 30_000_000
    scans = [grey_scan(page) for page in signed_pages(alices_request, 300)]

    upload(alice_client, alices_request, ("scan.pdf", as_pdf(scans)))

    assert accepted(alices_request).kind == SignedCopy.Kind.SCAN_MATCHED


def test_a_set_of_200_dpi_jpeg_pages_is_accepted(alice_client, alices_request):
    pages = [jpeg(grey_scan(page, degrees=1.0), 80) for page in signed_pages(alices_request, 200)]

    upload(alice_client, alices_request, *[(f"page{n}.jpg", as_file(p)) for n, p in enumerate(pages, 1)])

    assert accepted(alices_request).kind == SignedCopy.Kind.SCAN_MATCHED


def test_a_small_mark_outside_the_signature_is_accepted_and_located_for_the_reviewer(alice_client, alices_request):
    first, *rest = signed_pages(alices_request, 150)
    marked = first.copy()
    ImageDraw.Draw(marked).line([(1150, 300), (1180, 330)], fill=30, width=3)  # a stray tick in the margin
    ImageDraw.Draw(marked).line([(1180, 300), (1150, 330)], fill=30, width=3)

    upload(alice_client, alices_request, ("scan.pdf", as_pdf([marked, *rest])))

    copy = accepted(alices_request)
    assert copy.kind == SignedCopy.Kind.SCAN_TO_CHECK
    first_page = copy.page_results[0]
    assert first_page["status"] == "doubtful" and len(first_page["added"]) == 1
    left, bottom, right, top = first_page["added"][0]
    # The tick was drawn at 150 dpi from (1150, 300) to (1180, 330) px; boxes are in points from the bottom left.
    height = first_page["page_size"][1]
    assert left <= 1165 * 72 / 150 <= right and bottom <= height - 315 * 72 / 150 <= top
    assert "small differences on page 1 for the reviewer to look at" in copy.summary
    assert (
        first_page["message"]
        == "page 1 of 2: matches the issued page; for the reviewer to look at: ink added at the top of the page"
    )


# --- Refused --------------------------------------------------------------------------------------


def unrelated_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Minutes of the department meeting. Nothing to sign here.")
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        lambda request: [("noise.png", as_file(Image.effect_noise((1240, 1754), 80), "PNG"))],
        lambda request: [("other.pdf", unrelated_pdf())],
    ],
    ids=["random-noise-png", "unrelated-pdf"],
)
def test_an_upload_with_no_page_of_this_agreement_is_refused(alice_client, alices_request, private_media, make):
    body = refused(alice_client, alices_request, private_media, *make(alices_request))

    assert f"No page of this upload is a page of the agreement issued for {alices_request.reference} (issue 1)" in body


def test_the_issued_pdf_uploaded_back_unsigned_is_refused_saying_where_to_sign(
    alice_client, alices_request, private_media
):
    total = alices_request.issued_agreements.get().pages

    body = refused(alice_client, alices_request, private_media, ("agreement.pdf", issued_pdf(alices_request)))

    assert f"Page {total} of {total} is not signed: no signature was found on the signature line" in body
    assert "where your institution&#x27;s authorized representative must sign" in body


def test_an_unsigned_photo_is_refused(alice_client, alices_request, private_media):
    photos = [phone_photo(page) for page in printed(issued_pdf(alices_request), 150)]

    body = refused(
        alice_client, alices_request, private_media, *[(f"p{n}.jpg", as_file(p)) for n, p in enumerate(photos)]
    )

    assert "is not signed" in body


def test_a_whited_out_clause_is_refused(alice_client, alices_request, private_media):
    first, *rest = signed_pages(alices_request, 150)
    # Clause 2 (redistribution) painted over with correction fluid: a band a third of the way down.
    whited = first.copy()
    ImageDraw.Draw(whited).rectangle([150, 520, 1100, 640], fill=255)

    body = refused(alice_client, alices_request, private_media, ("scan.pdf", as_pdf([phone_photo(whited), *rest])))

    assert "Page 1 of 2 differs from the issued agreement" in body
    assert "outside the places to sign" in body


def test_a_whited_out_clause_photographed_from_afar_is_refused(alice_client, alices_request, private_media):
    first, second = signed_pages(alices_request, 250)
    whited = first.copy()
    ImageDraw.Draw(whited).rectangle([250, 870, 1830, 1070], fill=255)  # clause 2, as above, at 250 dpi
    photos = [on_a_desk(phone_photo(page), share=0.6) for page in (whited, second)]

    body = refused(
        alice_client, alices_request, private_media, *[(f"p{n}.jpg", as_file(p)) for n, p in enumerate(photos)]
    )

    assert "Page 1 of 2 differs from the issued agreement" in body


def test_a_missing_page_is_refused_naming_it(alice_client, alices_request, private_media):
    _, second = signed_pages(alices_request, 150)

    body = refused(alice_client, alices_request, private_media, ("last-page.jpg", as_file(second)))

    assert "Page 1 of the agreement is missing (it has 2 pages)" in body


def test_pages_out_of_order_are_refused(alice_client, alices_request, private_media):
    first, second = signed_pages(alices_request, 150)

    body = refused(alice_client, alices_request, private_media, ("a.jpg", as_file(second)), ("b.jpg", as_file(first)))

    assert "The pages are out of order (the upload has 2, 1)" in body


def test_a_page_twice_is_refused(alice_client, alices_request, private_media):
    first, second = signed_pages(alices_request, 150)

    body = refused(
        alice_client,
        alices_request,
        private_media,
        *[(f"{n}.jpg", as_file(p)) for n, p in enumerate([first, first, second])],
    )

    assert "Page 1 of the agreement is in the upload twice" in body


def test_the_upload_says_it_replaces_emailing_the_scan_and_gives_the_limits_first(
    alice_client, alices_request, settings
):
    settings.SIGNED_COPY_MAX_BYTES, settings.SIGNED_COPY_MAX_PAGES = 15_000_000, 30
    from django.urls import reverse

    for url in (
        alices_request.get_absolute_url(),
        reverse("requests_app:signed_copy_upload", args=[alices_request.reference]),
    ):
        page = alice_client.get(url).content.decode()
        assert "Uploading here replaces emailing the scan" in page
        assert "at most 15 MB and 30 pages" in page


def test_bob_sees_each_compared_page_with_its_differences_outlined(client, alice, bob, charlie, alices_request):
    from django.urls import reverse

    first, *rest = signed_pages(alices_request, 150)
    ImageDraw.Draw(first).line([(1150, 300), (1180, 330)], fill=30, width=3)
    ImageDraw.Draw(first).line([(1180, 300), (1150, 330)], fill=30, width=3)
    client.force_login(alice)
    upload(client, alices_request, ("scan.pdf", as_pdf([first, *rest])))
    copy = SignedCopy.objects.get()
    thumbnail = reverse("requests_app:signed_copy_page_thumbnail", args=[alices_request.reference, copy.pk, 1])

    client.force_login(bob)
    page = client.get(reverse("review:request", args=[alices_request.reference])).content.decode()
    assert f'src="{thumbnail}"' in page
    assert 'Page 1: <span class="text-warning-emphasis">differences outlined</span>' in page
    assert "Page 2: matched · signature present" in page
    response = client.get(thumbnail)
    assert response["Content-Type"] == "image/png"
    picture = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB")).astype(int)
    # The outline is drawn in colour on a grey page: some pixels are far from grey.
    assert (np.abs(picture[..., 2] - picture[..., 0]) > 100).any()
    client.force_login(charlie)
    assert client.get(thumbnail).status_code == 404
