"""Mei reads Chinese first: the portal speaks to her in Simplified Chinese, from her browser's language
or from the switcher, and every email it sends her is in the language she chose, whoever triggered it."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from requests_app.i18n.models import LanguagePreference
from requests_app.i18n.selectors import language_of
from requests_app.i18n.services import language_remember
from requests_app.models import LicenseRequest
from requests_app.review.services import request_approve, request_reject
from tests import journeys
from tests.factories import PASSWORD

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """LocaleMiddleware leaves the last request's language active in the thread; the next test must not inherit it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_a_chinese_browser_gets_the_pages_in_simplified_chinese(client, lagper):
    page = client.get(reverse("requests_app:dataset_list"), **ZH).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "可申请的数据集" in page  # "Datasets you can apply for"
    assert "Datasets you can apply for" not in page


def test_a_browser_without_chinese_gets_english(client, lagper):
    page = client.get(reverse("requests_app:dataset_list"), HTTP_ACCEPT_LANGUAGE="fr-FR,en;q=0.5").content.decode()
    assert '<html lang="en-gb">' in page
    assert "Datasets you can apply for" in page


def test_the_switcher_overrides_the_browser_and_is_remembered(client, lagper):
    response = client.post(reverse("set_language"), {"language": "en-gb", "next": "/"}, **ZH)
    assert response.status_code == 302 and response.url == "/"
    # The cookie now wins over the Chinese browser, on every later page.
    assert "Datasets you can apply for" in client.get("/", **ZH).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "可申请的数据集" in client.get("/").content.decode()


def test_every_page_offers_the_other_language_in_its_own_script(client, lagper):
    english = client.get("/").content.decode()
    assert 'value="zh-hans" lang="zh-hans">简体中文</button>' in english
    chinese = client.get("/", **ZH).content.decode()
    assert 'value="en-gb" lang="en-gb">English</button>' in chinese


def test_a_signed_in_switch_is_stored_for_emails(alice_client, alice):
    alice_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert language_of(user=alice) == "zh-hans"
    alice_client.post(reverse("set_language"), {"language": "en-gb", "next": "/"})
    assert language_of(user=alice) == "en-gb"
    assert LanguagePreference.objects.filter(user=alice).count() == 1


def test_an_unknown_language_is_ignored(alice_client, alice):
    alice_client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert language_of(user=alice) == "en-gb"
    assert "Datasets you can apply for" in alice_client.get("/").content.decode()


def test_signing_up_from_a_chinese_page_makes_chinese_the_accounts_language(client, lagper):
    client.post(
        reverse("account_signup"), {"email": "mei@nwpu.example", "password1": PASSWORD, "password2": PASSWORD}, **ZH
    )
    [verification] = mail.outbox
    user = LanguagePreference.objects.get(user__email="mei@nwpu.example")
    assert user.language == "zh-hans"
    # allauth writes its verification email in the language of the page it was asked from.
    assert "确认" in verification.body or "验证" in verification.body, verification.body
    assert verification.subject.startswith("[数据集许可门户] "), verification.subject


def test_the_approval_email_is_in_the_applicants_language_not_the_reviewers(
    alice, bob, lagper, django_capture_on_commit_callbacks
):
    language_remember(user=alice, language="zh-hans")
    language_remember(user=bob, language="en-gb")
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    [approval] = [m for m in mail.outbox if m.to == [alice.email]]
    assert approval.subject.startswith("[数据集许可门户] "), approval.subject
    assert "许可已获批准" in approval.subject
    assert request.reference in approval.subject
    assert "许可编号" in approval.body  # "Licence ID"
    html = approval.alternatives[0][0]
    assert "许可编号" in html


def test_someone_who_never_chose_gets_the_sites_default(alice, bob, lagper, django_capture_on_commit_callbacks):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with django_capture_on_commit_callbacks(execute=True):
        request_reject(request=request, reviewer=bob, reason="Not a research use.")
    [rejection] = [m for m in mail.outbox if m.to == [alice.email]]
    assert rejection.subject.startswith("[Licence portal] "), rejection.subject
    assert "was rejected" in rejection.subject
    assert LicenseRequest.objects.get(pk=request.pk).status == "rejected"


def test_the_language_is_stored_as_a_supported_code(alice):
    assert language_remember(user=alice, language="zh-cn").language == "zh-hans"
    assert language_remember(user=alice, language="en-us").language == "en-gb"


def test_the_portals_own_history_notes_are_translated_and_a_reviewers_words_are_not(alice, bob, lagper, client):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    request_reject(request=request, reviewer=bob, reason="Unsigned page 2.")
    client.force_login(alice)
    page = client.get(request.get_absolute_url(), **ZH).content.decode()
    assert "已提交；已接受全部条款。" in page and "Submitted; every clause accepted." not in page
    assert "Unsigned page 2." in page


def test_an_upload_refusal_is_in_chinese_for_a_chinese_reader(alice, alice_client, lagper, private_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = journeys.submitted(applicant=alice, dataset=lagper)
    svg = SimpleUploadedFile(
        "scan.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", content_type="image/svg+xml"
    )
    response = alice_client.post(
        reverse("requests_app:signed_copy_upload", args=[request.reference]), {"files": [svg]}, **ZH
    )
    assert response.status_code == 400
    assert "不接受 SVG" in response.content.decode()


def test_the_portals_notes_with_names_reasons_and_dates_are_retold_in_chinese_with_chinese_dates():
    from django.utils import translation

    from requests_app.templatetags.event_notes import event_note

    with translation.override("zh-hans"):
        assert (
            event_note("Licence extended until 2029-12-01 (renewal granted).")
            == "许可已延长至 2029年12月1日（续期已批准）。"
        )
        assert (
            event_note("Renewal refused: Clause 2 names one unit.") == "续期被拒绝：Clause 2 names one unit."
        )  # the reason as typed
        assert event_note("Claimed by Bob Li (bob@nwpu.example).") == "由 Bob Li (bob@nwpu.example) 认领。"
        assert event_note("Withdrawn automatically: awaiting signed agreement for 30 days.").startswith("已自动撤回：")
        assert event_note("Looks fine to me.") == "Looks fine to me."  # a reviewer's own note stays as written
    assert event_note("Licence extended until 2029-12-01.") == "Licence extended until 1 Dec 2029."


def test_dates_read_2026年12月1日_in_chinese_and_1_dec_2026_in_english():
    import datetime

    from django.template import Context, Template
    from django.utils import translation

    day = datetime.datetime(2026, 12, 1, 14, 5, tzinfo=datetime.UTC)
    template = Template('{% load dates %}{{ day|date }} · {{ day|date:"DATETIME_FORMAT" }} · {{ day|moment }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"day": day})) == "2026年12月1日 · 2026年12月1日 14:05 · 2026年12月1日 14:05 UTC"
    with translation.override("en-gb"):
        assert template.render(Context({"day": day})) == "1 Dec 2026 · 1 Dec 2026 14:05 · 1 Dec 2026 14:05 UTC"
