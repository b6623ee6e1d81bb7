"""The apply page says what the dataset file says, where the PDF says it: the preamble's paragraphs,
the text before the signers, the closing; and every page and email names whoever the file says signs,
never "the representative" of an agreement the researcher signs."""

import html
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from requests_app import clock
from requests_app.agreement_format.loading import load_dataset_file
from requests_app.documents.signed_copies import UploadRefused, check_upload
from requests_app.notifications.emails import send_signature_nudge
from tests.paths import DATA, ROOT

EXAMPLES = ROOT / "datasets" / "examples"
CAPITALS_NOTICE = "Fields marked in capitals are stored in capitals, as the agreement requires."


def apply_page(client, slug: str) -> str:
    response = client.get(reverse("requests_app:apply", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def visible(page: str) -> str:
    """The words a reader sees: tags, and the attributes inside them, left out."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_form_keeps_the_preamble_paragraphs_and_shows_the_text_before_the_signers_and_the_closing(alice_client, db):
    load_dataset_file(DATA / "two_signers.toml")
    page = apply_page(alice_client, "two-signers")

    assert '<p class="preamble">The first paragraph of the preamble.</p>' in page
    assert '<p class="preamble">The second paragraph of the preamble.</p>' in page
    before = '<p class="before-signers">By signing below, the parties agree to the terms above.</p>'
    assert page.count(before) == 1
    # As on the PDF, right before the first signer's block.
    assert page.index(before) < page.index('<h2 class="h5">Researcher</h2>')
    assert '<p class="small text-muted closing">Questions: data@vision.example.</p>' in page


def test_the_capitals_notice_is_shown_only_where_a_field_is_in_capitals(alice_client, lagper):
    load_dataset_file(EXAMPLES / "streamerreid.toml")

    assert CAPITALS_NOTICE in apply_page(alice_client, "lagper")
    assert CAPITALS_NOTICE not in apply_page(alice_client, "streamerreid")


def test_the_form_asks_what_the_owners_form_asks_in_its_order_each_in_a_box_for_its_kind(alice_client, db):
    load_dataset_file(EXAMPLES / "llcm.toml")
    page = apply_page(alice_client, "llcm")
    shown = visible(page)

    labels = ["Name *", "Date *", "Organization *", "Mailing Address *", "Tel.: *", "Email *"]
    positions = [shown.index(label) for label in labels]
    assert positions == sorted(positions)
    assert re.search(r'<textarea name="address"[^>]*maxlength="600"', page)  # the owner's address takes lines
    assert '<input type="tel" name="phone"' in page
    assert 'name="signature"' not in page  # signed on the PDF, not asked on the form


@pytest.fixture
def lsasrd_submitted(alice_client, django_capture_on_commit_callbacks):
    """Alice applies for LSASRD, whose agreement the researcher signs; the emails have gone."""
    agreement = load_dataset_file(EXAMPLES / "lsasrd.toml").dataset.current_agreement
    data = {
        "representative_name": "Wang Fang",
        "organisation": "Example University",
        "unit": "Vision Lab",
        "email": "wang@uni.example",
        "signing_date": clock.today().isoformat(),
        "submit": "Submit",
        **{f"clause_{c['number']}": "on" for c in agreement.clauses},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("requests_app:apply", args=["lsasrd"]), data)
    assert response.status_code == 302
    return agreement.requests.get()


def emailed(to: str):
    [message] = [m for m in mail.outbox if m.to == [to]]
    [(html_body, _)] = message.alternatives
    return message.body, visible(html_body)


def test_a_researcher_signed_agreement_never_asks_for_a_representative(lsasrd_submitted, client):
    receipt, receipt_html = emailed("alice@uni.example")
    confirmation, confirmation_html = emailed("wang@uni.example")
    [link] = re.findall(r"https?://[^/\s]+(/representative/\S+/)", confirmation)
    confirm_page = visible(client.get(link).content.decode())

    assert "have it signed by The researcher(s)," in receipt and "have it signed by The researcher(s)," in receipt_html
    assert "named you as the one who signs the agreement (The researcher(s))." in confirmation
    assert "named you as the one who signs the agreement (The researcher(s))." in confirmation_html
    assert "named you (wang@uni.example) as the one who signs the agreement (The researcher(s))." in confirm_page
    for text in (receipt, receipt_html, confirmation, confirmation_html, confirm_page):
        words = re.sub(r"https?://\S+", "", text)  # the link's path is the portal's, not wording
        assert "representative" not in words.lower()


def test_alices_page_and_nudge_name_the_signer_she_named_not_a_representative(lsasrd_submitted, alice_client):
    page = visible(alice_client.get(lsasrd_submitted.get_absolute_url()).content.decode())
    mail.outbox.clear()
    send_signature_nudge(request=lsasrd_submitted, days=7)
    nudge, nudge_html = emailed("alice@uni.example")

    assert "The signer you named (wang@uni.example) was asked on" in page
    assert "have Wang Fang sign it" in nudge and "have Wang Fang sign it" in nudge_html
    for text in (page, nudge, nudge_html):
        assert "representative" not in re.sub(r"https?://\S+", "", text).lower()


def test_an_unsigned_copy_of_a_researcher_signed_agreement_names_the_researcher_where_to_sign(lsasrd_submitted):
    issued = lsasrd_submitted.issued_agreements.get()
    unsigned = SimpleUploadedFile("agreement.pdf", bytes(issued.pdf), content_type="application/pdf")

    with pytest.raises(UploadRefused) as refused:
        check_upload([unsigned], issued=issued)

    assert "where The researcher(s) must sign. Sign there" in str(refused.value)
    assert "representative" not in str(refused.value)


def test_the_signer_wording_reads_in_chinese(lsasrd_submitted, client):
    [link] = re.findall(r"https?://[^/\s]+(/representative/\S+/)", emailed("wang@uni.example")[0])
    with translation.override("en"):  # the page activates Chinese in this thread: not for the next test
        client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
        page = visible(client.get(link).content.decode())

    assert "并指定您（wang@uni.example）为签署协议的人（The researcher(s)）。" in page
