"""A dataset file words its form in the portal's other languages: Mei, who reads Chinese, sees the
labels, hints, choices, signer headings and clause titles in Chinese, and a clause's Chinese text
beside the binding English one, marked as a courtesy translation; Alice, in English, sees the file's
own words; the PDF and the fingerprint keep the binding text. A wrong language or key is refused.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from requests_app.agreement_format.loading import DatasetFileError, load_dataset_file, parse_dataset_file
from requests_app.applications.forms import ApplicationForm
from requests_app.documents.pdf import render_agreement
from requests_app.models import AgreementVersion, LicenseRequest
from requests_app.review.services import request_return_for_correction
from tests import journeys
from tests.agreement_format.test_dataset_format import LAGPER_SHA256, SOURCE, TWO_SIGNERS, filled, pdf_words, variant
from tests.factories import UserFactory
from tests.paths import LAGPER_TOML

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}


@pytest.fixture(autouse=True)
def _english_after():
    """A request in Chinese leaves its language active in the thread: the next test starts in English."""
    yield
    translation.deactivate()


@pytest.fixture
def two_signers(db):
    return load_dataset_file(TWO_SIGNERS).dataset


def test_mei_reads_the_lagper_form_labelled_in_chinese_and_alice_in_the_owners_english(lagper):
    version = lagper.current_agreement
    with translation.override("zh-hans"):
        form = ApplicationForm(agreement=version, submitting=True)
        assert form.fields["organisation"].label == "机构名称（拉丁字母请大写）"
        assert form.fields["organisation_romanised"].label == "机构名称（拉丁字母请大写）：拉丁字母写法"
        assert form.fields["unit"].label == "使用数据的院系或单位（第 2 条）"
        assert form.fields["research_purpose"].label == "研究目的"
        assert [title for title, _ in form.signer_groups()][0] == "申请机构"
    form = ApplicationForm(agreement=version, submitting=True)
    assert form.fields["organisation"].label == "Organization (in capitals)"
    assert form.fields["organisation_romanised"].label == "Organization (in capitals), in Latin letters"
    assert [title for title, _ in form.signer_groups()][0] == "The requesting organisation"


def test_the_chinese_labels_leave_lagpers_agreement_and_its_pdf_as_the_owner_wrote_them(db, tmp_path, alice):
    without_romanised = tmp_path / "lagper.toml"
    without_romanised.write_text(
        LAGPER_TOML.read_text(encoding="utf-8").replace("romanised = true\n", ""), encoding="utf-8"
    )
    version = load_dataset_file(without_romanised).agreement_version
    assert version.sha256 == LAGPER_SHA256
    assert version.translations["zh-hans"]["fields"]["organisation"] == {"label": "机构名称（拉丁字母请大写）"}
    request = journeys.submitted(applicant=alice, dataset=version.dataset)
    with translation.override("zh-hans"):
        words = pdf_words(render_agreement(request, version))
    assert "Organization (in capitals)" in words and "机构名称" not in words


def test_mei_sees_two_signers_worded_in_chinese_with_the_binding_clause_marked(client, two_signers):
    client.force_login(UserFactory(username="mei", email="mei@nwpu.example"))
    page = client.get(reverse("requests_app:apply", args=["two-signers"]), **CHINESE).content.decode()
    for text in (
        "研究者",
        "学号",
        "与学生证上的一致。",
        "全名（拉丁字母请大写）",
        "姓名的拉丁字母写法",
        "预期用途",
        '<option value="academic">学术</option>',
        "发表",
        "2. 引用",
        "我接受第 2 条（引用）。",
    ):
        assert text in page, text
    assert "Supervisor" in page  # not translated: the file's own heading
    # The binding text, named, and the owner's Chinese beside it, for reading only.
    binding = page.index("Papers cite the dataset.")
    assert page.index("具有约束力的文本（英语）") < binding < page.index("参考译文") < page.index("论文须引用数据集。")
    assert "仅供阅读：具有约束力的是上方的英语文本。" in page
    assert page.count("参考译文") == 1  # clause 1 has no translation

    english = client.get(
        reverse("requests_app:apply", args=["two-signers"]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "学号" not in english and "论文须引用数据集。" not in english and "Courtesy translation" not in english
    assert '<option value="academic">academic</option>' in english


def test_the_dataset_page_shows_clause_titles_and_the_courtesy_translation_in_chinese(client, two_signers):
    page = client.get(reverse("requests_app:dataset_detail", args=["two-signers"]), **CHINESE).content.decode()
    assert "<strong>引用.</strong>" in page and "论文须引用数据集。" in page and "参考译文" in page


def test_an_application_stores_the_files_option_and_the_request_page_labels_it_in_chinese(client, two_signers):
    mei = UserFactory(username="mei", email="mei@nwpu.example")
    client.force_login(mei)
    agreement = two_signers.current_agreement
    with translation.override("zh-hans"):
        response = client.post(reverse("requests_app:apply", args=["two-signers"]), filled(agreement), **CHINESE)
    assert response.status_code == 302
    request = LicenseRequest.objects.get()
    assert request.values["intended_use"] == "academic"
    page = client.get(request.get_absolute_url(), **CHINESE).content.decode()
    assert '<th scope="row" class="w-50">预期用途</th><td>学术</td>' in page
    assert '<th scope="row" class="w-50">学号</th><td>S-20240117</td>' in page
    words = pdf_words(render_agreement(request, agreement))
    assert "Intended use: academic" in words and "Student ID" in words and "学号" not in words


def test_a_reviewer_reading_chinese_returns_a_field_and_the_history_keeps_the_files_label(lagper, alice, bob):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with translation.override("zh-hans"):
        request_return_for_correction(request=request, reviewer=bob, fields=["unit"], reason="请写明实验室。")
        from requests_app.applications.selectors import returned_field_labels

        assert returned_field_labels(request=request) == ["使用数据的院系或单位（第 2 条）"]
    note = request.events.order_by("-pk").first().note
    assert note == "Returned for correction of Department or unit that will use the data (clause 2): 请写明实验室。"


def test_changing_only_a_label_translation_updates_the_current_version_in_place(two_signers, tmp_path):
    before = two_signers.current_agreement
    path = variant(tmp_path, 'label = "学号"', 'label = "学生证号"')
    result = load_dataset_file(path)
    assert not result.version_created and result.translations_changed
    assert AgreementVersion.objects.count() == 1
    after = AgreementVersion.objects.get()
    assert after.sha256 == before.sha256
    assert after.translations["zh-hans"]["fields"]["student_id"]["label"] == "学生证号"
    assert load_dataset_file(path).translations_changed is False  # loading again changes nothing


def test_the_command_says_when_only_the_labels_in_other_languages_changed(two_signers, tmp_path, capsys):
    call_command("load_dataset", str(variant(tmp_path, 'title = "研究者"', 'title = "研究人员"')))
    assert "agreement version 1 unchanged but for its labels in other languages." in capsys.readouterr().out


def test_changing_a_clause_translation_publishes_a_new_version(two_signers, tmp_path):
    result = load_dataset_file(variant(tmp_path, 'text = "论文须引用数据集。"', 'text = "发表论文须引用本数据集。"'))
    assert result.version_created
    assert AgreementVersion.objects.count() == 2


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'translations.zh-Hans = { title = "研究者" }',
            'translations.zh-Hant = { title = "研究者" }',
            "agreement.signers[0]: translations.zh-Hant: 'zh-Hant' is not a language the portal is offered in (en-gb, zh-hans)",
        ),
        (
            'translations.zh-Hans = { title = "研究者" }',
            'translations.zh-Hans = { titel = "研究者" }',
            "agreement.signers[0].translations.zh-Hans.titel: is not a key of the format (a typo?)",
        ),
        (
            'translations.zh-Hans = { title = "研究者" }',
            'translations.en = { title = "The researcher" }',
            "agreement: signers[0].translations.en: 'en' is the language of the binding text",
        ),
        (
            'options = ["学术", "政府"]',
            'options = ["学术"]',
            "translations.zh-Hans.options: give one translation per option (2)",
        ),
        ('heading = "发表", title = "引用", text', 'title = "引用", text', None),
        (
            'translations.zh-Hans = { heading = "发表", title = "引用", text = "论文须引用数据集。" }',
            'translations.zh-Hans = "论文须引用数据集。"',
            "agreement.clauses[1].translations.zh-Hans: must be a table of the wording",
        ),
    ],
)
def test_a_translation_in_a_language_or_with_a_key_the_portal_does_not_know_is_refused(db, tmp_path, old, new, problem):
    path = variant(tmp_path, old, new)
    if problem is None:
        parse_dataset_file(path)  # a clause may translate its title without its heading
        return
    with pytest.raises(DatasetFileError) as caught:
        parse_dataset_file(path)
    assert problem in str(caught.value)
    assert "(line " in str(caught.value)


def test_a_format_1_label_translation_with_an_unknown_key_or_language_is_refused(db, tmp_path):
    text = LAGPER_TOML.read_text(encoding="utf-8")
    for old, new, problem in (
        (
            '{ label = "日期" }',
            '{ label = "日期", help = "签署日期" }',
            "agreement.signer_fields[2].translations.zh-Hans.help: is not a key of the format (a typo?)",
        ),
        (
            'translations.zh-Hans = { label = "日期" }',
            'translations.ja = { label = "日付" }',
            "agreement.signer_fields[2].translations.ja: 'ja' is not a language the portal is offered in",
        ),
        (
            'translations.zh-Hans = { label = "日期" }',
            'translations.zh-Hans = "日期"',
            "agreement.signer_fields[2].translations.zh-Hans: must be a table",
        ),
    ):
        assert old in text, old
        path = tmp_path / "lagper.toml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(DatasetFileError, match=None) as caught:
            parse_dataset_file(path)
        assert problem in str(caught.value)


def test_the_admin_preview_says_publishing_only_updates_the_labels_in_other_languages(client, two_signers):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    text = SOURCE.replace('label = "学号"', 'label = "学生证号"', 1)
    response = client.post(
        reverse("admin:requests_app_dataset_publish"),
        {"file": SimpleUploadedFile("two.toml", text.encode("utf-8"))},
    )
    page = response.content.decode()
    assert (
        "publishing changes no agreement." in page
        and "It updates the form's labels in other languages in place." in page
    )
