"""Alice uploads her signed copy from a Chinese page: whatever refuses it, the form or the worker that
checks it later, tells her why in Chinese; the checker's own words for the reviewer stay English."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from requests_app import tasks
from requests_app.documents import pdf_safety, quarantine
from requests_app.i18n.services import language_remember
from requests_app.models import UploadCheck
from tests.clock import start
from tests.documents.test_signed_copy import as_pdf, issued_pdf, scanned_pages
from tests.documents.test_signed_copy_hostile import with_javascript, with_stream

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """LocaleMiddleware leaves the last request's language active in the thread; the next test must not inherit it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def queued(monkeypatch):
    """The checks the upload view queued, as (check id, language) a worker would receive; none run yet."""
    sent = []
    monkeypatch.setattr(tasks.signed_copy_check, "delay", lambda *args: sent.append(args))
    return sent


def _upload(client, request, name, data, **headers):
    files = [SimpleUploadedFile(name, data, content_type="application/octet-stream")]
    return client.post(
        reverse("requests_app:signed_copy_upload", args=[request.reference]), {"files": files}, **headers
    )


def test_a_pdf_with_javascript_is_refused_in_chinese_on_the_chinese_page(alice_client, alices_request):
    response = _upload(alice_client, alices_request, "agreement.pdf", with_javascript(issued_pdf(alices_request)), **ZH)

    page = alice_client.get(response.url, **ZH).content.decode()
    assert "agreement.pdf 含有JavaScript。已签署的协议不得带有活动内容" in page
    assert "Signed agreements may not carry active content" not in page


def test_the_refused_uploads_time_is_written_as_chinese_readers_write_dates(alice_client, alices_request):
    response = _upload(alice_client, alices_request, "agreement.pdf", with_javascript(issued_pdf(alices_request)), **ZH)

    page = alice_client.get(response.url, **ZH).content.decode()
    at = start()  # the frozen clock: the upload's time, in UTC
    assert f"您于 {at.year}年{at.month}月{at.day}日 {at:%H:%M} 上传的文件未被接受" in page
    english = alice_client.get(response.url, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert f"Your upload of {at.day} {at:%b %Y %H:%M} was not accepted" in english


def test_the_worker_tells_the_refusal_in_the_language_of_the_page_it_was_uploaded_from(
    alice, alice_client, alices_request, queued
):
    language_remember(user=alice, language="en-gb")  # the switcher says English, this page was Chinese
    hostile = with_stream(issued_pdf(alices_request), b"x", ["/MadeUpDecode"])
    _upload(alice_client, alices_request, "agreement.pdf", hostile, **ZH)
    [(check_id, language)] = queued

    translation.activate("en-gb")  # the worker's own language
    assert quarantine.upload_check_run(check_id=check_id, language=language) == UploadCheck.State.REFUSED

    assert UploadCheck.objects.get().message == "agreement.pdf 使用了本门户不打开的编码（/MadeUpDecode）。"
    status_url = reverse("requests_app:upload_check_status", args=[alices_request.reference, check_id])
    assert alice_client.get(status_url).json()["message"] == "agreement.pdf 使用了本门户不打开的编码（/MadeUpDecode）。"


def test_a_check_queued_without_a_language_is_told_in_the_uploaders_remembered_one(
    alice, alice_client, alices_request, queued
):
    language_remember(user=alice, language="zh-hans")
    _upload(alice_client, alices_request, "agreement.pdf", with_javascript(issued_pdf(alices_request)))
    [(check_id, _)] = queued

    translation.activate("en-gb")
    quarantine.upload_check_run(check_id=check_id)

    assert UploadCheck.objects.get().message.startswith("agreement.pdf 含有JavaScript。")


def test_an_accepted_check_keeps_the_english_summary_and_the_status_retells_it_in_chinese(
    alice_client, alices_request, queued
):
    _upload(alice_client, alices_request, "scan.pdf", as_pdf(scanned_pages(issued_pdf(alices_request))), **ZH)
    [(check_id, language)] = queued

    assert quarantine.upload_check_run(check_id=check_id, language=language) == UploadCheck.State.ACCEPTED

    assert UploadCheck.objects.get().message.startswith("scan checked: ")  # the reviewer's record, as written
    status_url = reverse("requests_app:upload_check_status", args=[alices_request.reference, check_id])
    told = alice_client.get(status_url, **ZH).json()["message"]
    assert told != UploadCheck.objects.get().message and "scan checked" not in told


@pytest.mark.parametrize(
    ("refuse", "chinese"),
    [
        (
            lambda: pdf_safety._filters({"/Filter": pdf_safety.NameObject("/Odd")}, "a.pdf"),
            "a.pdf 使用了本门户不打开的编码（/Odd）。",
        ),
        (
            lambda: pdf_safety.refuse_data_after_last_xref(b"%PDF-1.7\n", "a.pdf"),
            "无法将 a.pdf 作为 PDF 读取：文件可能已损坏或不完整。",
        ),
    ],
    ids=["unknown-filter", "no-cross-reference"],
)
def test_pdf_safety_refusals_are_in_the_readers_language(refuse, chinese):
    with translation.override("zh-hans"), pytest.raises(pdf_safety.PdfRefused) as refusal:
        refuse()
    assert str(refusal.value) == chinese
