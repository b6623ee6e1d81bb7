"""Mei types the date the agreement will be signed, and Bob the date a licence runs until. Both read
the portal in either language on any browser; the box asks for year-month-day, the order the portal
writes dates in, and reads it however a Chinese or an English keyboard types it."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from requests_app.i18n.date_fields import YearFirstDateField
from requests_app.models import LicenseRequest
from tests.applications.test_application import application_data
from tests.clock import start
from tests.i18n.test_i18n import ZH


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def cleaned(text: str) -> datetime.date:
    return YearFirstDateField().clean(text)


@pytest.mark.parametrize(
    "typed",
    [
        "2027-03-05",
        "2027-3-5",
        " 2027/03/05 ",
        "2027.3.5",
        "2027年3月5日",
        "2027 年 3 月 5 日",
        "20270305",
        "２０２７－０３－０５",
    ],
)
def test_every_year_first_spelling_reads_as_the_same_day(typed):
    assert cleaned(typed) == datetime.date(2027, 3, 5)


@pytest.mark.parametrize("typed", ["03/05/2027", "05.03.2027", "5 March 2027", "2027-13-01", "2027-02-30", "2027035"])
def test_a_date_that_is_not_year_first_or_not_a_day_is_refused_in_the_readers_language(typed):
    field = YearFirstDateField()
    with pytest.raises(ValidationError) as english:
        field.clean(typed)
    assert english.value.messages == ["Enter the date as year-month-day, for example 2026-12-01."]
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as chinese:
            field.clean(typed)
        assert chinese.value.messages == ["请按“年-月-日”的顺序填写日期，例如 2026-12-01。"]


def test_spaces_only_are_no_date():
    assert YearFirstDateField(required=False).clean(" \u3000 ") is None


def date_input(page: str) -> str:
    [tag] = [line for line in page.split("<input") if 'name="signing_date"' in line]
    return "<input" + tag.split(">", 1)[0] + ">"


def test_the_application_form_asks_for_year_month_day_in_a_text_box_in_both_languages(alice_client, lagper):
    url = reverse("requests_app:apply", args=["lagper"])
    english = alice_client.get(url).content.decode()
    tag = date_input(english)
    assert 'type="text"' in tag and 'placeholder="YYYY-MM-DD"' in tag and 'inputmode="numeric"' in tag
    assert "Year-month-day, for example 2026-12-01." in english
    chinese = alice_client.get(url, **ZH).content.decode()
    assert 'placeholder="年-月-日"' in date_input(chinese)
    assert "按“年-月-日”的顺序填写，例如 2026-12-01。" in chinese


def test_a_month_first_date_is_refused_and_kept_as_typed_for_mei_to_correct(alice_client, lagper):
    data = application_data(lagper.current_agreement, signing_date="03/05/2027")
    page = alice_client.post(reverse("requests_app:apply", args=["lagper"]), data, **ZH).content.decode()
    assert "请按“年-月-日”的顺序填写日期，例如 2026-12-01。" in page
    assert 'value="03/05/2027"' in date_input(page)
    assert not LicenseRequest.objects.exclude(status="draft").exists()


def test_a_date_typed_with_a_chinese_input_method_is_the_day_she_meant(alice_client, lagper):
    tomorrow = start().date() + datetime.timedelta(days=1)
    typed = f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日"
    data = application_data(lagper.current_agreement, signing_date=typed)
    alice_client.post(reverse("requests_app:apply", args=["lagper"]), data, **ZH)
    assert LicenseRequest.objects.get().signing_date == tomorrow
