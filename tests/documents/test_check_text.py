"""A signed copy's check is stored as the checker wrote it; Mei, who reads Chinese, reads it in Chinese
on her request page, in her receipt and in the history; Bob, in English, reads it as stored; a text the
checker never wrote (or "[removed]") is shown as stored.

The texts are made by the checker itself where it can run without a scan, so a change to its
wording fails here rather than leaving readers with English.
"""

from types import SimpleNamespace

import pytest
from django.utils import translation

from requests_app.documents import signed_copies
from requests_app.documents.check_text import page_message, summary
from requests_app.templatetags.event_notes import event_note

ISSUED = SimpleNamespace(issue=2, pages=3, areas=[])
DIGITAL = (
    "integrity verified: signed copy of the issued agreement (issue 1; signed by Common Name: Wang Wei; "
    "no change but the signature; identity not verified (certificate not in the trust store); "
    "signer Wang Wei differs from the representative named in the form (PROF. LI))"
)


@pytest.fixture(autouse=True)
def _english_after():
    """A request in Chinese leaves its language active in the thread: the next test starts in English."""
    yield
    translation.deactivate()


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def scan_page(monkeypatch, *, doubtful: bool) -> dict:
    """What the checker stores for page 2 of 3: signed, with ink missing at the top if `doubtful`."""
    top = [10.0, 800.0, 50.0, 820.0]  # x0, y0, x1, y1 in PDF points, near the top
    comparison = SimpleNamespace(
        aligned=True,
        altered=False,
        signed=True,
        doubtful=doubtful,
        missing=[top] if doubtful else [],
        added=[top] if doubtful else [],
    )
    monkeypatch.setattr(signed_copies, "compare_page", lambda *args, **kwargs: comparison)
    reference = SimpleNamespace(size_points=(595.0, 842.0))
    return signed_copies._compare(None, None, reference, ISSUED, 2, 2, False)


def test_mei_reads_a_matched_scans_summary_and_page_in_chinese(monkeypatch, zh):
    page = scan_page(monkeypatch, doubtful=False)
    verdict = signed_copies._scan_verdict(ISSUED, [], [page, {**page, "page": 1}, {**page, "page": 3}], False)
    assert summary(verdict.summary) == "扫描件已核验：全部 3 页与所签发的协议（第 2 份）一致，已签名"
    assert page_message(page["message"]) == "第 2 页（共 3 页）：与所签发的页面一致，已签名"


def test_mei_reads_that_her_executed_agreement_is_countersigned_in_chinese(monkeypatch, zh):
    page = scan_page(monkeypatch, doubtful=False)
    verdict = signed_copies._scan_verdict(ISSUED, [], [page], True)
    assert summary(verdict.summary) == "扫描件已核验：该页与所签发的协议（第 2 份）一致，已签名并已会签"
    assert page_message("page 2 of 3: matches the issued page, signed and countersigned") == (
        "第 2 页（共 3 页）：与所签发的页面一致，已签名并已会签"
    )


def test_mei_reads_the_differences_left_for_the_reviewer_in_chinese(monkeypatch, zh):
    page = scan_page(monkeypatch, doubtful=True)
    verdict = signed_copies._scan_verdict(ISSUED, [], [page], False)
    assert summary(verdict.summary) == (
        "扫描件已核验：该页与所签发的协议（第 2 份）一致，已签名；第 2 页有细微差异，待审核人查看"
    )
    assert (
        page_message(page["message"])
        == "第 2 页（共 3 页）：与所签发的页面一致，已签名；待审核人查看：页面顶部缺少笔迹、顶部多出笔迹"
    )


def test_a_digital_signatures_check_is_retold_with_the_names_as_stored(zh):
    assert summary(DIGITAL) == (
        "完整性已验证：为所签发协议的签署件（第 1 份；签署人 Common Name: Wang Wei；除签名外无改动；"
        "身份未验证（证书不在信任库中）；签署人 Wang Wei 与表单中填写的授权代表（PROF. LI）不同）"
    )
    message = (
        "digital signature: intact, no change after issue but the signature; identity verified by the trust store; "
        "signer 王伟 is the representative named in the form"
    )
    assert (
        page_message(message)
        == "数字签名：完好，签发后除签名外无改动；身份已由信任库验证；签署人 王伟 即表单中填写的授权代表"
    )


def test_checks_stored_by_earlier_versions_of_the_checker_are_retold_too(zh):
    assert summary("scan checked: all 4 pages carry the code of this agreement (issue 1)") == (
        "扫描件已核验：全部 4 页均带有此协议（第 1 份）的二维码"
    )
    assert summary("scan: 1 of 2 pages carry this agreement's code; page 2 of 2: no code found") == (
        "扫描件：2 页中有 1 页带有此协议的二维码；第 2 页（共 2 页）：未找到二维码"
    )
    assert (
        page_message("page 1 of 2: code of LAGPER-2026-000001, issue 1")
        == "第 1 页（共 2 页）：LAGPER-2026-000001 的二维码，第 1 份"
    )


def test_bob_reads_the_check_as_stored_and_a_text_the_checker_never_wrote_stays_as_it_is(monkeypatch):
    page = scan_page(monkeypatch, doubtful=True)
    with translation.override("en-gb"):
        assert page_message(page["message"]) == page["message"]
        assert summary(DIGITAL) == DIGITAL
    with translation.override("zh-hans"):
        assert summary("[removed]") == "[removed]"
        assert page_message("page 2 of 3: something new") == "page 2 of 3: something new"


def test_the_history_retells_an_uploads_summary_in_chinese(monkeypatch, zh):
    page = scan_page(monkeypatch, doubtful=False)
    verdict = signed_copies._scan_verdict(ISSUED, [], [page], False)
    assert event_note(f"Signed copy uploaded: {verdict.summary}.") == (
        "已上传签署件：扫描件已核验：该页与所签发的协议（第 2 份）一致，已签名。"
    )


def test_mei_reads_her_uploads_check_in_chinese_on_her_page_and_in_her_receipt(
    monkeypatch,
    client,
    lagper,
    private_media,
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from requests_app.documents.services import signed_copy_record
    from requests_app.documents.signed_copies import CheckedUpload, UploadedPart
    from requests_app.i18n.services import language_remember
    from tests import journeys
    from tests.factories import UserFactory

    mei = UserFactory(username="mei", email="mei@nwpu.example")
    language_remember(user=mei, language="zh-hans")
    request = journeys.submitted(applicant=mei, dataset=lagper)
    issued = request.issued_agreements.get()
    page = {
        **scan_page(monkeypatch, doubtful=False),
        "page": 1,
        "message": "page 1 of 1: matches the issued page, signed",
    }
    verdict = signed_copies._scan_verdict(SimpleNamespace(issue=issued.issue), [], [page], False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signed_copy_record(
            request=request,
            user=mei,
            checked=CheckedUpload(
                issued=issued,
                parts=[UploadedPart("signed.pdf", "application/pdf", bytes(issued.pdf))],
                kind=verdict.kind,
                page_results=[page],
                summary=verdict.summary,
            ),
        )
    client.force_login(mei)
    shown = client.get(request.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "扫描件已核验：该页与所签发的协议（第 1 份）一致，已签名" in shown
    assert "第 1 页（共 1 页）：与所签发的页面一致，已签名" in shown
    assert "scan checked" not in shown
    [receipt] = [m for m in mail.outbox if m.to == [mei.email]]
    assert "扫描件已核验" in receipt.body
