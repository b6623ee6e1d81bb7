"""Alice uploads the signed agreement; the portal checks it is hers before anything is stored."""

import datetime
import hashlib
import io
import math
import zipfile

import pypdf
import pypdfium2
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFilter
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.services import request_withdraw
from requests_app.documents.pdf import SIGNATURE_FIELD_NAME
from requests_app.models import (
    IssuedAgreement,
    LicenseRequest,
    QuarantinedFile,
    RequestEvent,
    SignedCopy,
    SignedCopyFile,
    UploadCheck,
)
from tests import journeys
from tests.agreement_format.test_dataset_format import TWO_SIGNERS, filled
from tests.factories import LicenseRequestFactory

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture(autouse=True)
def _patient_deadline(settings):
    """A loaded CI machine must not turn a good scan into "took too long"; one test sets its own."""
    settings.SIGNED_COPY_CHECK_SECONDS = 600


# --- What a representative sends back -------------------------------------------------------------


def representative_signer(common_name="PROF. LI WEI") -> signers.SimpleSigner:
    """A self-signed certificate made here, standing in for the representative's own."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=None,
    )


def digitally_signed(pdf: bytes) -> bytes:
    output = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD_NAME),
        signer=representative_signer(),
        output=output,
    )
    return output.getvalue()


def sign_by_hand(image: Image.Image, areas: list[dict], page: int, dpi: float, kinds=("signature",)) -> Image.Image:
    """A pen stroke across each signature area of `page` (of `kinds`), drawn on the page's image at `dpi`."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    scale = dpi / 72
    for area in areas:
        if area["page"] != page or area["kind"] not in kinds:
            continue
        left, bottom, right, top = area["box"]
        baseline = image.height - (bottom + (top - bottom) * 0.4) * scale
        stroke = [
            (
                left * scale + 15 * scale + i * 6 * scale,
                baseline - 9 * scale * math.sin(i / 1.7) * (1 if i % 3 else 0.6),
            )
            for i in range(24)
        ]
        draw.line(stroke, fill=25, width=max(2, round(scale * 1.3)), joint="curve")
    return image


def issued_areas(pdf: bytes) -> list[dict]:
    return IssuedAgreement.objects.get(sha256=hashlib.sha256(pdf).hexdigest()).areas


def scanned_pages(pdf: bytes, *, degrees=(2.5, -1.5, 3.0), signed=True) -> list[Image.Image]:
    """Each page printed, signed by hand and scanned: 150 dpi, slightly rotated, slightly blurred."""
    areas = issued_areas(pdf) if signed else []
    pages = []
    for number, page in enumerate(pypdfium2.PdfDocument(pdf)):
        image = page.render(scale=150 / 72).to_pil().convert("L")
        image = sign_by_hand(image, areas, number + 1, 150)
        image = image.rotate(degrees[number % len(degrees)], expand=True, fillcolor=255)
        pages.append(image.filter(ImageFilter.GaussianBlur(0.8)))
    return pages


def as_file(image: Image.Image, kind="JPEG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def as_pdf(images: list[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return buffer.getvalue()


def issued_pdf(request) -> bytes:
    return bytes(request.issued_agreements.latest("issue").pdf)


def upload(client, request, *files):
    uploads = [SimpleUploadedFile(name, data, content_type="application/octet-stream") for name, data in files]
    return client.post(reverse("requests_app:signed_copy_upload", args=[request.reference]), {"files": uploads})


def stored_files(media) -> list:
    """The signed copies' files in the storage (the issued agreements are stored beside them)."""
    uploads = media / "signed_copies"
    return [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []


# --- Accepted ---------------------------------------------------------------------------------------


def test_a_digitally_signed_copy_of_the_issued_pdf_is_verified(alice_client, alice, alices_request, private_media):
    signed = digitally_signed(issued_pdf(alices_request))

    response = upload(alice_client, alices_request, ("agreement signed.pdf", signed))

    assert response.status_code == 302
    alices_request.refresh_from_db()
    assert alices_request.status == LicenseRequest.Status.UNDER_REVIEW
    copy = SignedCopy.objects.get()
    assert copy.kind == SignedCopy.Kind.DIGITAL_SIGNATURE_UNTRUSTED
    assert copy.summary.startswith("integrity verified: signed copy of the issued agreement")
    assert "identity not verified" in copy.summary
    assert "signer PROF. LI WEI is the representative named in the form" in copy.summary
    stored = copy.files.get()
    assert (stored.original_name, stored.content_type, stored.size) == (
        "agreement_signed.pdf",
        "application/pdf",
        len(signed),
    )
    with stored.file.open("rb") as kept:
        assert kept.read() == signed
    assert "agreement" not in stored.file.name.rsplit("/", 1)[-1]
    event = alices_request.events.last()
    assert (event.from_status, event.to_status, event.actor) == ("awaiting_signature", "under_review", alice)
    assert "integrity verified" in event.note
    page = alice_client.get(alices_request.get_absolute_url()).content.decode()
    assert "integrity verified: signed copy of the issued agreement" in page


def test_a_rotated_blurred_scan_of_this_agreement_is_accepted_page_by_page(alice_client, alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, research_purpose="Re-identification. " * 200)
    pages = scanned_pages(issued_pdf(request))
    total = len(pages)
    assert total >= 2
    # Phones and scanners send every colour model; each page must still be read.
    kinds = [("CMYK", "JPEG"), ("P", "PNG"), ("L", "JPEG"), ("RGB", "PNG")]
    files = [(f"page{n}", as_file(image.convert(kinds[n % 4][0]), kinds[n % 4][1])) for n, image in enumerate(pages)]

    upload(alice_client, request, *files)

    copy = SignedCopy.objects.get()
    assert copy.kind == SignedCopy.Kind.SCAN_MATCHED
    assert [r["status"] for r in copy.page_results] == ["matched"] * total
    assert copy.page_results[0]["message"] == f"page 1 of {total}: matches the issued page"
    assert copy.page_results[-1]["message"] == f"page {total} of {total}: matches the issued page, signed"
    assert copy.summary == f"scan checked: all {total} pages match the agreement as issued (issue 1), signed"
    assert [f.content_type for f in copy.files.all()] == ["image/jpeg", "image/png"] * (total // 2) + ["image/jpeg"] * (
        total % 2
    )
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.UNDER_REVIEW


def test_a_scan_of_an_agreement_printed_with_a_courtesy_translation_is_accepted_signed_where_it_was_drawn(
    alice_client,
):
    """The translation after clause 2 moves what follows down: the areas recorded are where it landed."""
    agreement = load_dataset_file(TWO_SIGNERS).agreement_version
    alice_client.post(reverse("requests_app:apply", args=["two-signers"]), filled(agreement))
    request = LicenseRequest.objects.get()
    pdf = issued_pdf(request)
    assert "参考译文" in " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    pages = scanned_pages(pdf)

    upload(alice_client, request, *[(f"page{n}.png", as_file(page, "PNG")) for n, page in enumerate(pages, 1)])

    copy = SignedCopy.objects.get()
    assert copy.kind == SignedCopy.Kind.SCAN_MATCHED, copy.summary
    assert [r["status"] for r in copy.page_results] == ["matched"] * len(pages)
    signed = {area["page"] for area in issued_areas(pdf) if area["kind"] == "signature"}
    assert [r["message"].endswith(", signed") for r in copy.page_results] == [
        n in signed for n in range(1, len(pages) + 1)
    ]


def test_a_new_upload_under_review_keeps_the_previous_one(alice_client, alices_request):
    pages = scanned_pages(issued_pdf(alices_request))
    upload(alice_client, alices_request, ("first.pdf", as_pdf(pages)))
    upload(alice_client, alices_request, ("second.pdf", digitally_signed(issued_pdf(alices_request))))

    assert list(SignedCopyFile.objects.order_by("pk").values_list("original_name", flat=True)) == [
        "first.pdf",
        "second.pdf",
    ]
    assert [(e.from_status, e.to_status) for e in alices_request.events.all()][-2:] == [
        ("awaiting_signature", "under_review"),
        ("under_review", "under_review"),
    ]
    assert alices_request.events.last().note.startswith("Signed copy replaced")


# --- Refused, and nothing stored ------------------------------------------------------------------


def refused(client, request, media, *files) -> str:
    """Upload, assert the refusal left no trace, and return the page the applicant sees.

    What can be told at once (size, type) is refused with the form (400); the rest once the worker
    checked the quarantined upload, on the request page the upload leads back to.
    """
    status_before = request.status
    events_before, copies_before, files_before = (
        RequestEvent.objects.count(),
        SignedCopy.objects.count(),
        stored_files(media),
    )
    response = upload(client, request, *files)
    request.refresh_from_db()
    assert request.status == status_before
    assert RequestEvent.objects.count() == events_before
    assert SignedCopy.objects.count() == copies_before
    assert not QuarantinedFile.objects.exists()
    assert stored_files(media) == files_before
    if response.status_code == 400:
        return response.content.decode()
    assert response.status_code == 302
    assert UploadCheck.objects.get().state == UploadCheck.State.REFUSED
    return client.get(response.url).content.decode()


def test_a_scan_of_another_requests_agreement_is_refused(alice_client, alice, lagper, alices_request, private_media):
    other = LicenseRequestFactory(dataset=lagper, applicant=alice)
    pages = scanned_pages(issued_pdf(other))

    body = refused(alice_client, alices_request, private_media, ("scan.pdf", as_pdf(pages)))

    assert "Page 1 of" in body and "belongs to another request&#x27;s agreement" in body


def test_a_scan_of_an_earlier_issue_is_refused(alice_client, alices_request, bob, private_media):
    earlier = scanned_pages(issued_pdf(alices_request))
    journeys.reissued(alices_request, reviewer=bob)

    body = refused(alice_client, alices_request, private_media, ("scan.pdf", as_pdf(earlier)))

    assert "from another issue of this agreement (issue 1); the current one is issue 2" in body


@pytest.mark.parametrize(
    "where, message",
    [("issued", "not the agreement issued"), ("signature", "does not match its content")],
    ids=["inside-the-issued-bytes", "inside-the-signed-revision"],
)
def test_a_tampered_signed_copy_is_refused(alice_client, alices_request, private_media, where, message):
    issued = issued_pdf(alices_request)
    signed = bytearray(digitally_signed(issued))
    # A digit of the issued document's creation date, or of the date in the signed revision.
    if where == "issued":
        position = signed.index(b"/CreationDate (D:") + 20
    else:
        position = signed.index(b"/ModDate (D\\072", len(issued)) + 20
    signed[position] = ord("9") if signed[position] != ord("9") else ord("8")

    body = refused(alice_client, alices_request, private_media, ("signed.pdf", bytes(signed)))

    assert message in body


def test_a_signed_copy_changed_after_signing_is_refused(alice_client, alices_request, private_media):
    signed = digitally_signed(issued_pdf(alices_request))
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = generic.TextStringObject("en")  # any later revision
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)

    body = refused(alice_client, alices_request, private_media, ("signed.pdf", output.getvalue()))

    assert "the signature does not cover the whole file" in body


def test_another_requests_signed_pdf_is_refused(alice_client, alice, lagper, alices_request, private_media):
    other = LicenseRequestFactory(dataset=lagper, applicant=alice)

    body = refused(alice_client, alices_request, private_media, ("signed.pdf", digitally_signed(issued_pdf(other))))

    assert f"not the agreement issued for {alices_request.reference}" in body


def encrypted_pdf(source: bytes) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(source)))
    writer.encrypt("secret")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def flate_bomb_pdf() -> bytes:
    """A one-page PDF carrying a stream of 20 MB of zeros, compressed to about 20 kB."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    bomb = pypdf.generic.DecodedStreamObject()
    bomb.set_data(b"\0" * 20_000_000)
    writer._add_object(bomb.flate_encode())
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def truncated_png_with_its_end() -> bytes:
    """Half a PNG, with the closing chunk pasted back: only a full decode can tell."""
    png = as_file(Image.effect_noise((300, 300), 64), "PNG")
    return png[: len(png) // 2] + png[-12:]


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    "make_files, message",
    [
        (lambda pdf, jpg: [("a.pdf", encrypted_pdf(pdf))], "is encrypted or password-protected"),
        (lambda pdf, jpg: [("a.svg", SVG)], "is an SVG image; SVG is not accepted"),
        (lambda pdf, jpg: [("a.pdf", b"Just some text, named like a PDF.")], "is not a PDF, JPEG or PNG file"),
        (lambda pdf, jpg: [("a.pdf", b"GIF89a;" + pdf)], "is not a PDF, JPEG or PNG file"),
        (lambda pdf, jpg: [("a.pdf", pdf + zip_of("x.html", b"<script>"))], "has other data appended after its end"),
        (lambda pdf, jpg: [("a.jpg", jpg + zip_of("x.html", b"<script>"))], "has other data appended after its end"),
        (lambda pdf, jpg: [("a.pdf", pdf[: len(pdf) // 2])], "is incomplete"),
        (lambda pdf, jpg: [("a.jpg", jpg[: len(jpg) // 2])], "is incomplete"),
        (lambda pdf, jpg: [("a.png", truncated_png_with_its_end())], "could not be read as an image"),
        (
            lambda pdf, jpg: [("a.pdf", pdf.replace(b"/Root", b"/Rxxx").replace(b"xref", b"xxxx"))],
            "could not be read as a PDF",
        ),
        (lambda pdf, jpg: [("a.pdf", pdf), ("b.jpg", jpg)], "Upload a PDF on its own"),
        (lambda pdf, jpg: [("a.pdf", flate_bomb_pdf())], "expands to more than 10 MB"),
        (lambda pdf, jpg: [("big.png", as_file(Image.new("1", (4000, 4000), 1), "PNG"))], "has too many pixels"),
        (
            lambda pdf, jpg: [("big.pdf", as_pdf([Image.new("1", (4000, 4000), 1)]))],
            "contains an image with too many pixels",
        ),
        (lambda pdf, jpg: [(f"p{n}.jpg", jpg) for n in range(4)], "Upload at most 3 pages"),
        (lambda pdf, jpg: [("big.pdf", pdf + b" " * 2_000_000)], "The upload is larger than 2 MB"),
    ],
    ids=[
        "encrypted-pdf",
        "svg",
        "text-named-pdf",
        "data-before-the-pdf-header",
        "pdf-zip-polyglot",
        "jpeg-zip-polyglot",
        "truncated-pdf",
        "truncated-jpeg",
        "truncated-png-with-its-end",
        "damaged-pdf",
        "pdf-and-image",
        "flate-bomb",
        "pixel-bomb",
        "pixel-bomb-in-a-pdf",
        "too-many-pages",
        "oversized",
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(
    alice_client, alices_request, private_media, settings, make_files, message
):
    settings.SIGNED_COPY_MAX_BYTES = 2_000_000
    settings.SIGNED_COPY_MAX_PAGES = 3
    settings.SIGNED_COPY_MAX_PIXELS = 10_000_000
    settings.SIGNED_COPY_MAX_INFLATED_BYTES = 10_000_000
    pdf = issued_pdf(alices_request)
    jpg = as_file(scanned_pages(pdf)[0])

    body = refused(alice_client, alices_request, private_media, *make_files(pdf, jpg))

    assert message in body.replace("&#x27;", "'")


def test_a_check_that_runs_out_of_time_is_refused(alice_client, alices_request, private_media, settings):
    settings.SIGNED_COPY_CHECK_SECONDS = -1  # already past: no race with the clock

    body = refused(
        alice_client, alices_request, private_media, ("scan.pdf", as_pdf(scanned_pages(issued_pdf(alices_request))))
    )

    assert "Checking this file took too long" in body


# --- Who may see what -------------------------------------------------------------------------------


def test_signed_copies_are_served_as_attachments_to_alice_and_bob_only(client, alice, bob, charlie, alices_request):
    client.force_login(alice)
    signed = digitally_signed(issued_pdf(alices_request))
    upload(client, alices_request, ("签名 signed.pdf", signed))
    stored = SignedCopyFile.objects.get()
    url = reverse("requests_app:signed_copy_file", args=[alices_request.reference, stored.pk])

    for reader in (alice, bob):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == signed
        assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E7%AD%BE%E5%90%8D_signed.pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
    client.force_login(charlie)
    assert client.get(url).status_code == 404


def test_bob_sees_the_current_scan_in_the_review_page_and_alice_gets_it_as_a_download(
    client, alice, bob, alices_request
):
    client.force_login(alice)
    pdf = issued_pdf(alices_request)
    upload(client, alices_request, ("old.pdf", as_pdf(scanned_pages(pdf))))
    upload(
        client,
        alices_request,
        *[(f"page-{n}.png", as_file(page, "PNG")) for n, page in enumerate(scanned_pages(pdf), 1)],
    )
    old_pdf, *pages = SignedCopyFile.objects.order_by("pk")
    inline = [
        reverse("requests_app:signed_copy_file", args=[alices_request.reference, page.pk]) + "?inline=1"
        for page in pages
    ]

    # Alice's own page offers the files as downloads only; no preview.
    assert "?inline=1" not in client.get(alices_request.get_absolute_url()).content.decode()

    client.force_login(bob)
    page = client.get(reverse("review:request", args=[alices_request.reference])).content.decode()
    # Every page of the current copy is shown, the replaced one is not.
    assert all(f'<img class="img-fluid border bg-white mb-2" src="{url}"' in page for url in inline)
    assert f"{old_pdf.pk}/?inline=1" not in page
    response = client.get(inline[0])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="page-1.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_a_signed_pdf_is_framed_in_the_review_page(client, alice, bob, alices_request):
    client.force_login(alice)
    upload(client, alices_request, ("signed.pdf", digitally_signed(issued_pdf(alices_request))))
    url = reverse("requests_app:signed_copy_file", args=[alices_request.reference, SignedCopyFile.objects.get().pk])

    client.force_login(bob)
    page = client.get(reverse("review:request", args=[alices_request.reference])).content.decode()
    assert f'<iframe class="w-100 border bg-white signed-copy-frame" src="{url}?inline=1"' in page
    assert f'<a href="{url}?inline=1" target="_blank" rel="noopener">Open signed.pdf in a new tab</a>' in page


def test_charlie_gets_404_on_alices_pdf_upload_and_signed_copies(
    client, alice, charlie, lagper, alices_request, private_media
):
    client.force_login(alice)
    upload(client, alices_request, ("signed.pdf", digitally_signed(issued_pdf(alices_request))))
    stored = SignedCopyFile.objects.get()
    reference = alices_request.reference

    client.force_login(charlie)
    assert client.get(reverse("requests_app:agreement_pdf", args=[reference])).status_code == 404
    assert client.get(reverse("requests_app:signed_copy_upload", args=[reference])).status_code == 404
    assert upload(client, alices_request, ("scan.pdf", issued_pdf(alices_request))).status_code == 404
    assert client.get(reverse("requests_app:signed_copy_file", args=[reference, stored.pk])).status_code == 404
    # Through his own request's URL neither: a file is served only under the request it belongs to.
    his_own = LicenseRequestFactory(dataset=lagper, applicant=charlie)
    assert client.get(reverse("requests_app:signed_copy_file", args=[his_own.reference, stored.pk])).status_code == 404
    assert SignedCopyFile.objects.count() == 1
    assert len(stored_files(private_media)) == 1


def test_no_upload_once_the_request_is_withdrawn(alice_client, alice, alices_request, private_media):
    request_withdraw(request=alices_request, user=alice)
    response = upload(alice_client, alices_request, ("signed.pdf", digitally_signed(issued_pdf(alices_request))))
    assert response.status_code == 302
    assert not SignedCopy.objects.exists()
    assert stored_files(private_media) == []


def test_a_scanned_pdf_with_a_page_whose_code_cannot_be_read_is_refused(alice_client, alices_request, private_media):
    first, second = scanned_pages(issued_pdf(alices_request))
    blank = Image.new("L", second.size, 255)

    body = refused(alice_client, alices_request, private_media, ("scan.pdf", as_pdf([first, blank])))

    assert "The QR code of page 2 of the upload could not be read" in body
