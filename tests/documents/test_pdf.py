"""The agreement Alice signs: issued once, filled in, readable, and hers (and her reviewers') only."""

import hashlib
import io
import re
import shutil
import subprocess
import unicodedata

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.documents.pdf import SIGNATURE_FIELD_NAME, render_agreement, render_agreement_with_areas
from requests_app.models import IssuedAgreement, LicenseRequest
from tests import journeys
from tests.applications.test_application import application_data
from tests.factories import LicenseRequestFactory


def words(text: str) -> str:
    """Text with its line breaks and runs of spaces folded: what a reader sees, not where lines wrap."""
    return " ".join(text.split())


def pdf_text(data: bytes) -> list[str]:
    return [words(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def qr_codes(data: bytes) -> list[list[str]]:
    document = pypdfium2.PdfDocument(data)
    return [
        [
            code.text
            for code in zxingcpp.read_barcodes(page.render(scale=2).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
        ]
        for page in document
    ]


def test_submitting_issues_the_filled_in_agreement_once(alice_client, lagper):
    agreement = lagper.current_agreement
    alice_client.post(reverse("requests_app:apply", args=["lagper"]), application_data(agreement, phone="+44 1"))
    request = LicenseRequest.objects.get()
    issued = IssuedAgreement.objects.get()
    data = bytes(issued.pdf)

    assert (issued.request, issued.agreement_version, issued.issue) == (request, agreement, 1)
    assert (issued.sha256, issued.length) == (hashlib.sha256(data).hexdigest(), len(data))
    pages = pdf_text(data)
    assert issued.pages == len(pages)
    text = " ".join(pages)
    for clause in agreement.clauses:
        assert words(clause["text"]) in text
        assert f"{clause['number']}. {clause['title']}:" in text
    for expected in [
        agreement.title,
        agreement.preamble,
        words(agreement.signatory),
        f"Agreement version {agreement.label}",
        f"sha256 {agreement.short_sha256}",
        request.reference,
        lagper.owner,
        lagper.full_name,
        "PROF. LI WEI",
        "Dean of the School of Computing",
        "EXAMPLE UNIVERSITY",
        "1 UNIVERSITY ROAD SPRINGFIELD",
        "Vision Lab",
        "dean@uni.example",
        timezone.localdate().isoformat(),
        "Benchmarking aerial-ground re-identification.",
        "Signature",
        f"Date: {timezone.localdate().isoformat()}",
    ]:
        assert expected in text, expected
    for label, _ in request.signer_values():
        assert words(label) in text
    for number, page in enumerate(pages, 1):
        assert (
            f"{request.reference} · issue 1 · agreement version {agreement.label} · page {number} of {len(pages)}"
            in page
        )
    verify_url = f"http://testserver/verify/{request.token}/?issue=1"
    assert qr_codes(data) == [[f"{verify_url}&page={n}"] for n in range(1, len(pages) + 1)]
    # The date came from the form: no blank asks for it again; the signature is the one area to fill in.
    assert [(area["page"], area["kind"]) for area in issued.areas] == [(len(pages), "signature")]
    field = pypdf.PdfReader(io.BytesIO(data)).get_fields()[SIGNATURE_FIELD_NAME]
    assert field["/FT"] == "/Sig"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_the_pdf_renders_the_version_alice_accepted_not_the_current_one(alice, bob, lagper, tmp_path, settings):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    accepted = request.agreement_version
    changed = tmp_path / "lagper.toml"
    shutil.copy(settings.BASE_DIR / "datasets" / "lagper.toml", changed)
    changed.write_text(changed.read_text().replace("in writing.", "in writing, on paper."))
    assert load_dataset_file(changed).version_created

    journeys.reissued(request, reviewer=bob)  # corrected after the new version came out: issue 2
    text = " ".join(pdf_text(bytes(request.issued_agreements.get(issue=2).pdf)))
    assert words(accepted.clauses[0]["text"]) in text
    assert "on paper" not in text


HOSTILE = {
    "representative_name": "<font size=80>BIG</font> <b>UNCLOSED",
    "representative_title": '<img src="/etc/passwd"/> & friends',
    "organisation": "</para><para>ESCAPED",
    "unit": "<unknowntag> ]]> &amp; &#0;",
    "address": "<br/>LINE\n<i>",
    "research_purpose": "<a href='javascript:alert(1)'>x</a> <b>",
}


def test_markup_in_what_alice_typed_prints_literally(alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, **HOSTILE)
    # Upper-cased: the capitals fields print in capitals, markup and all.
    text = " ".join(pdf_text(render_agreement(request, request.agreement_version))).upper()
    for value in HOSTILE.values():
        assert words(value).upper() in text, value


CJK = {
    "representative_name": "李伟教授",
    "representative_title": "学部長 やまだ たろう",
    "organisation": "서울대학교 컴퓨터공학부",
    "unit": "视觉实验室 Vision Lab",
    "research_purpose": "空地行人重识别的基准测试。" * 10,
}


def test_chinese_japanese_and_korean_render_and_wrap(alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, **CJK)
    data = render_agreement(request, request.agreement_version)
    # Without spaces or footers: CJK wraps between any two characters, and across pages.
    footer = re.compile(rf"{request.reference} · page \d of \d")
    text = footer.sub("", "".join(pdf_text(data))).replace(" ", "")
    for value in CJK.values():
        assert value.replace(" ", "") in text, value
    assert "WenQuanYiZenHei" in " ".join(font for font, _ in pdffonts(data))


def pdffonts(data: bytes) -> list[tuple[str, bool]]:
    """(name, embedded) for every font poppler's pdffonts lists."""
    result = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
    rows = result.stdout.decode().splitlines()[2:]
    # name, type (one or two words), encoding, then emb sub uni as yes/no and the object id.
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows]


def pdftotext(data: bytes) -> str:
    """What poppler reads, right-to-left runs back in reading order, letters in their plain forms."""
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return words(unicodedata.normalize("NFKC", re.sub("[\u202a-\u202e]", "", text)))


# A name in each script the form accepts, as people write them: Arabic and Hebrew read right to
# left (two words each, so the order of the words is checked too), Devanagari with a conjunct.
NAMES = {
    "representative_name": "ИВАН ПЕТРОВ",
    "representative_title": "Καθηγητής Γεώργιος",
    "organisation": "جامعة القاهرة",
    "unit": "אוניברסיטת תל אביב",
    "address": "राजेश प्रसाद",
    "research_purpose": "空地行人重识别 Vision Lab",
}


def test_a_name_in_every_script_is_printed_in_embedded_fonts(alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, **NAMES)
    data = render_agreement(request, request.agreement_version)
    text = pdftotext(data)
    for value in NAMES.values():
        assert value in text, value
    listed = pdffonts(data)
    assert [name for name, embedded in listed if not embedded] == []
    assert {name.split("+")[1] for name, _ in listed} == {
        "NotoSans-Regular",
        "NotoSans-Bold",
        "NotoSansArabic-Regular",
        "NotoSansHebrew-Regular",
        "NotoSansDevanagari-Regular",
        "WenQuanYiZenHei-0",
    }


def test_right_to_left_words_are_drawn_right_to_left(alice, lagper):
    """The first word of "جامعة القاهرة" is drawn to the right of the second, on a line that begins in English."""
    request = LicenseRequestFactory(
        dataset=lagper, applicant=alice, organisation="جامعة القاهرة", unit="מעבדה 31415 ראייה"
    )
    page = pypdfium2.PdfDocument(render_agreement(request, request.agreement_version))[0].get_textpage()
    chars = [
        (unicodedata.normalize("NFKC", page.get_text_range(i, 1)), page.get_charbox(i)[0])
        for i in range(page.count_chars())
    ]
    text = "".join(c for c, _ in chars)
    lefts = [x for c, x in chars for _ in c]

    def left(word: str) -> float:
        """Where the word is drawn, whichever order the reader lists its letters in."""
        found = [text.find(spelling) for spelling in (word, word[::-1]) if spelling in text]
        return min(lefts[i : i + len(word)]) if (i := found[0]) >= 0 else -1

    assert left("Organization") < left("القاهرة") < left("جامعة")
    # A number among right-to-left words keeps its place between them, its digits left to right.
    assert left("ראייה") < left("31415") < left("מעבדה")


@pytest.mark.parametrize("spaces", [True, False], ids=["words", "one-unbroken-word"])
def test_every_field_at_its_maximum_length_gives_a_valid_pdf(alice, lagper, spaces):
    def filled(length):
        return ("Wide " * length)[:length] if spaces else "W" * length

    fields = {
        name: filled(LicenseRequest._meta.get_field(name).max_length)
        for name in [
            "representative_name",
            "representative_title",
            "organisation",
            "unit",
            "address",
            "research_purpose",
        ]
    }
    request = LicenseRequestFactory(dataset=lagper, applicant=alice, **fields)
    rendered = render_agreement_with_areas(request, request.agreement_version)
    data = rendered.pdf
    pages = pdf_text(data)
    assert len(pages) > 1
    assert rendered.pages == len(pages)  # the count issuing records, as a PDF reader counts them
    assert "".join(pages).count("W") >= sum(v.count("W") for v in fields.values())
    assert qr_codes(data)[-1] == [f"http://testserver/verify/{request.token}/?issue=1&page={len(qr_codes(data))}"]


def test_downloads_serve_the_stored_bytes_to_alice_and_bob_only(client, alice, bob, charlie, alices_request):
    issued = alices_request.issued_agreements.get()
    url = reverse("requests_app:agreement_pdf", args=[alices_request.reference])
    # The download serves what the storage holds, not a new rendering.
    issued.file.storage.delete(issued.file.name)
    issued.file.storage.save(issued.file.name, ContentFile(b"%PDF-1.4 the record as issued"))

    for reader in (alice, bob):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the record as issued"
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{alices_request.reference}-agreement-1.pdf"'
    client.force_login(charlie)
    assert client.get(url).status_code == 404


def test_a_draft_has_no_agreement_to_download(alice_client, alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    assert alice_client.get(reverse("requests_app:agreement_pdf", args=[draft.reference])).status_code == 404


def test_the_request_page_offers_the_download_and_the_upload(alice_client, alices_request):
    body = alice_client.get(alices_request.get_absolute_url()).content.decode()
    assert reverse("requests_app:agreement_pdf", args=[alices_request.reference]) in body
    assert reverse("requests_app:signed_copy_upload", args=[alices_request.reference]) in body


def test_the_verification_page_is_public_and_says_nothing_personal(client, alices_request):
    response = client.get(reverse("requests_app:verify", args=[alices_request.token]) + "?issue=1")
    body = response.content.decode()
    assert response.status_code == 200
    for shown in [alices_request.reference, "LAGPeR", "EXAMPLE UNIVERSITY", "Awaiting signed agreement", "Issue 1"]:
        assert shown in body
    for hidden in [
        alices_request.representative_name,
        alices_request.email,
        alices_request.address,
        alices_request.research_purpose,
        alices_request.applicant.email,
    ]:
        assert hidden not in body
    assert client.get(reverse("requests_app:verify", args=["not-a-token"])).status_code == 404
    odd = client.get(reverse("requests_app:verify", args=[alices_request.token]) + "?issue=²")
    assert odd.status_code == 200 and "Issue 1" not in odd.content.decode()


def test_the_verification_page_says_when_a_paper_is_of_a_superseded_issue(client, alices_request, bob):
    # Alice corrected her request: issue 1 carries the old details, only issue 2 was signed and decided on.
    journeys.reissued(alices_request, reviewer=bob)
    url = reverse("requests_app:verify", args=[alices_request.token])

    old = client.get(url + "?issue=1").content.decode()
    assert "Superseded</strong> by issue 2" in old
    current = client.get(url + "?issue=2").content.decode()
    assert "Issue 2, issued" in current and "Superseded" not in current
    unknown = client.get(url + "?issue=9").content.decode()
    assert "No such issue of this agreement was issued." in unknown
