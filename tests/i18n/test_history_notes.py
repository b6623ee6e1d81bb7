"""The history quotes the agreement file's field labels as it stored them; Mei, reading Chinese, sees
those labels as the file words them in Chinese, and Alice, in English, as stored."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from requests_app.agreement_format import localised
from requests_app.templatetags.event_notes import event_note
from tests import journeys

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """LocaleMiddleware leaves the last request's language active in the thread; the next test must not inherit it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def returned_request(alice, bob, lagper):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    return journeys.returned(request, reviewer=bob, fields=("organisation", "unit"), reason="Name the lab.")


def test_the_return_note_stores_the_files_english_labels(returned_request):
    note = returned_request.events.order_by("pk").last().note
    assert note == (
        "Returned for correction of Organization (in capitals), Department or unit that will use the data (clause 2): Name the lab."
    )


def test_mei_reads_the_returned_fields_in_chinese_in_her_history(alice, returned_request, client):
    client.force_login(alice)
    page = client.get(returned_request.get_absolute_url(), **ZH).content.decode()
    assert "退回更正 机构名称（拉丁字母请大写）、使用数据的院系或单位（第 2 条）：Name the lab." in page


def test_bob_reads_them_in_chinese_on_the_review_page_and_in_english_without(bob, returned_request, client):
    client.force_login(bob)
    url = reverse("review:request", args=[returned_request.reference])
    assert (
        "退回更正 机构名称（拉丁字母请大写）、使用数据的院系或单位（第 2 条）" in client.get(url, **ZH).content.decode()
    )
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert (
        "Returned for correction of Organization (in capitals), Department or unit that will use the data (clause 2)"
        in english
    )


def test_a_renewal_note_lists_the_changed_labels_in_chinese_and_an_unknown_label_keeps_the_list_as_stored(lagper):
    with translation.override("zh-hans"):
        labels = localised.labels_for_notes(lagper.current_agreement)
        assert (
            event_note("Renewal requested; changed: Research purpose, Organization (in capitals).", labels)
            == "已申请续期；更改了：研究目的、机构名称（拉丁字母请大写）。"
        )
        assert (
            event_note("Renewal requested; changed: Research purpose, Shoe size.", labels)
            == "已申请续期；更改了：Research purpose, Shoe size。"
        )


def test_a_replaced_countersigned_copy_is_retold_in_chinese_with_its_check():
    note = "Countersigned copy replaced: scan checked: all 2 pages match the agreement as issued (issue 1), signed."
    with translation.override("zh-hans"):
        assert event_note(note) == "已替换会签件：扫描件已核验：全部 2 页与所签发的协议（第 1 份）一致，已签名。"
    assert event_note(note) == note
