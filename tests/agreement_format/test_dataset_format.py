"""A dataset file declares its agreement's signers and typed fields; the form, the stored values, the
request page and the PDF all follow the file, and a malformed file is refused whole, every problem
named with its key and line.
"""

import datetime
import html
import io
from pathlib import Path

import pypdf
import pytest
from django import forms
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.agreement_format import formfields
from requests_app.agreement_format.loading import DatasetFileError, load_dataset_file, parse_dataset_file
from requests_app.applications.forms import ApplicationForm
from requests_app.applications.services import request_resubmit
from requests_app.documents.pdf import render_agreement
from requests_app.i18n.date_fields import YearFirstDateField
from requests_app.models import AgreementVersion, ClauseAcceptance, Dataset, IssuedAgreement, LicenseRequest
from requests_app.review.services import request_return_for_correction
from requests_app.workflow import DecisionInvalid
from tests import journeys
from tests.paths import DATA, LAGPER_TOML

TWO_SIGNERS = DATA / "two_signers.toml"
SOURCE = TWO_SIGNERS.read_text(encoding="utf-8")

# The fingerprint lagper.toml had before format 2 existed: loading it must not publish a new version.
LAGPER_SHA256 = "347eba981f4aee910e5c8a3eb8805ee104b0032e075d7fa6b69a2e8ea7f5d81e"
# two_signers.toml's fingerprint before fields could be `searchable`: a file that marks none keeps it.
TWO_SIGNERS_SHA256 = "45786c3a41e55beb131f14c3618378ca77cdc3bfdc0c307b60142eb46ba35232"


def pdf_words(data: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def variant(tmp_path, old, new) -> Path:
    assert old in SOURCE, old
    path = tmp_path / "variant.toml"
    path.write_text(SOURCE.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.fixture
def two_signers(db):
    return load_dataset_file(TWO_SIGNERS).dataset


def filled(agreement, **overrides):
    data = {
        "representative_name": "Wang Xiaoming 王小明",
        "representative_name_romanised": "Wang Xiaoming",
        "email": "wang@uni.example",
        "student_id": "S-20240117",
        "country": "CN",
        "orcid": "0000-0002-1825-0097",
        "homepage": "https://uni.example/~wang",
        "intended_use": "academic",
        "project": "Cross-view matching\nof pedestrians.",
        "supervisor_name": "Prof. Ada Chen",
        "phone": "+86 (29) 8849-1234",
        "organisation": "Vision University",
        "signing_date": timezone.localdate().isoformat(),
        "supervisor_consents": "on",
        "research_purpose": "Benchmarking.",
        "submit": "Submit",
    }
    data.update({f"clause_{c['number']}": "on" for c in agreement.clauses})
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_lagper_keeps_the_fingerprint_it_had_before_format_2(db, tmp_path):
    # lagper.toml has since asked for the names in Latin letters too (`romanised = true`), a new
    # version of its own; without those lines the format 1 file must load exactly as it did.
    before_romanised = tmp_path / "lagper.toml"
    before_romanised.write_text(
        LAGPER_TOML.read_text(encoding="utf-8").replace("romanised = true\n", ""), encoding="utf-8"
    )
    version = load_dataset_file(before_romanised).agreement_version
    assert version.sha256 == LAGPER_SHA256
    assert version.layout == {}


def test_the_form_asks_for_the_declared_fields_in_the_files_order_with_their_types(two_signers):
    form = ApplicationForm(agreement=two_signers.current_agreement, submitting=True)
    asked = [name for name in form.fields if not name.startswith("clause_")]
    assert asked == [
        "representative_name",
        "representative_name_romanised",
        "email",
        "student_id",
        "country",
        "orcid",
        "homepage",
        "intended_use",
        "project",
        "supervisor_name",
        "phone",
        "organisation",
        "signing_date",
        "supervisor_consents",
        "research_purpose",
    ]
    kinds = {name: type(form.fields[name]) for name in asked}
    assert kinds["email"] is forms.EmailField
    assert kinds["homepage"] is forms.URLField
    assert kinds["signing_date"] is YearFirstDateField  # a text box read year first, not the browser's picker
    assert kinds["supervisor_consents"] is forms.BooleanField
    assert kinds["phone"] is formfields.PhoneField
    assert 'type="tel"' in str(form["phone"]) and 'autocomplete="tel"' in str(form["phone"])
    assert [c for c, _ in form.fields["intended_use"].choices] == ["", "academic", "government"]
    assert ("CN", "China") in form.fields["country"].choices
    assert form.fields["student_id"].help_text == "As printed on your student card."
    assert not form.fields["student_id"].required and form.fields["email"].required
    assert isinstance(form.fields["project"].widget, forms.Textarea)
    assert [title for title, _ in form.signer_groups()] == ["Researcher", "Supervisor", ""]


# (field, what an applicant typed, what is stored): one accepted input for each field type.
ACCEPTED = [
    pytest.param("supervisor_name", "  Prof. Ada Chen ", "Prof. Ada Chen", id="text"),
    pytest.param("organisation", "Straße University", "STRASSE UNIVERSITY", id="capitals"),
    pytest.param("project", "Line one\r\nline two", "Line one\nline two", id="long_text"),
    pytest.param("email", "wang@uni.example", "wang@uni.example", id="email"),
    pytest.param("phone", "0086 (29) 8849-1234", "+86 29 8849 1234", id="phone"),
    pytest.param("phone", "+44 (0)20 7946 0000 ext. 12", "+44 20 7946 0000 x12", id="phone-extension"),
    pytest.param("phone", "+1 415-555-2671", "+1 415-555-2671", id="phone-dashes"),
    pytest.param("signing_date", "IN_30_DAYS", "IN_30_DAYS", id="date"),
    pytest.param("country", "CN", "CN", id="country"),
    pytest.param("homepage", "uni.example/~wang", "https://uni.example/~wang", id="url"),
    pytest.param("orcid", "https://orcid.org/0000-0002-1694-233x", "0000-0002-1694-233X", id="orcid"),
    pytest.param("intended_use", "government", "government", id="choice"),
    pytest.param("supervisor_consents", "on", True, id="checkbox"),
]

# (field, what an applicant typed, the message beside the field): one refused input for each field type.
REFUSED = [
    pytest.param("supervisor_name", "x" * 301, "Ensure this value has at most 300 characters (it has 301).", id="text"),
    pytest.param("organisation", "ß" * 200, "In capitals this is 400 characters; the limit is 300.", id="capitals"),
    pytest.param("project", "x" * 2001, "Ensure this value has at most 2000 characters (it has 2001).", id="long_text"),
    pytest.param("email", "not-an-email", "Enter a valid email address.", id="email"),
    pytest.param("phone", "029 8849 1234", "Enter a telephone number with + and the country code", id="phone-national"),
    pytest.param("phone", "+86 29 8849", "Enter a telephone number with + and the country code", id="phone-too-short"),
    pytest.param("phone", "call me", "Enter a telephone number with + and the country code", id="phone-words"),
    pytest.param(
        "signing_date",
        "400_DAYS_AGO",
        "Enter the date the agreement will be signed, within a year of today.",
        id="date",
    ),
    pytest.param("signing_date", "31/02/2026", "Enter the date as year-month-day", id="date-malformed"),
    pytest.param("country", "XX", "Select a valid choice. XX is not one of the available choices.", id="country"),
    pytest.param("homepage", "ftp://x", "Enter a valid URL.", id="url"),
    pytest.param("orcid", "0000-0002-1825-0098", "Enter an ORCID iD as 0000-0000-0000-0000", id="orcid"),
    pytest.param("intended_use", "commercial", "Select a valid choice. commercial is not one", id="choice"),
    pytest.param("supervisor_consents", None, "Tick this box to submit.", id="checkbox"),
]


def _day(value):
    """The dates of the tables, named relative to the frozen today."""
    days = {"IN_30_DAYS": 30, "400_DAYS_AGO": -400}.get(value)
    return value if days is None else (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize("name, typed, stored", ACCEPTED)
def test_each_field_type_stores_what_the_applicant_typed_in_its_canonical_form(two_signers, name, typed, stored):
    typed, stored = _day(typed), _day(stored)
    form = ApplicationForm(
        filled(two_signers.current_agreement, **{name: typed}), agreement=two_signers.current_agreement, submitting=True
    )
    assert form.is_valid(), form.errors
    assert form.request_fields()["values"][name] == stored


@pytest.mark.parametrize("name, typed, message", REFUSED)
def test_each_field_type_refuses_what_it_cannot_hold_and_keeps_what_was_typed(two_signers, name, typed, message):
    typed = _day(typed)
    agreement = two_signers.current_agreement
    form = ApplicationForm(filled(agreement, **{name: typed}), agreement=agreement, submitting=True)
    assert not form.is_valid()
    assert list(form.errors) == [name]
    assert form.errors[name][0].startswith(message), form.errors[name]
    if not isinstance(form.fields[name].widget, (forms.Select, forms.CheckboxInput)):  # picked, not typed
        assert html.escape(typed) in str(form[name])


def test_a_signature_is_a_place_on_the_pdf_and_never_a_value_of_the_form(two_signers):
    agreement = two_signers.current_agreement
    form = ApplicationForm(filled(agreement, researcher_signs="forged"), agreement=agreement, submitting=True)
    assert "researcher_signs" not in form.fields
    assert form.is_valid(), form.errors
    assert "researcher_signs" not in form.request_fields()["values"]


def test_a_phone_number_without_its_country_code_is_explained_in_chinese_too(alice_client, two_signers):
    alice_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = alice_client.post(
        reverse("requests_app:apply", args=["two-signers"]),
        filled(two_signers.current_agreement, phone="029 8849 1234"),
    ).content.decode()
    assert "请填写带 + 和国家代码的电话号码" in page
    assert 'value="029 8849 1234"' in page  # kept as typed, to correct
    assert not LicenseRequest.objects.exists()


def test_a_submission_stores_every_value_by_name_and_mirrors_the_well_known_ones(alice_client, two_signers):
    agreement = two_signers.current_agreement
    response = alice_client.post(reverse("requests_app:apply", args=["two-signers"]), filled(agreement))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = LicenseRequest.objects.get()
    assert request.reference.startswith("TWO-SIG-")
    assert request.values["representative_name"] == "WANG XIAOMING 王小明"
    assert request.values["representative_name_romanised"] == "WANG XIAOMING"
    assert request.values["supervisor_consents"] is True
    assert request.values["signing_date"] == timezone.localdate().isoformat()
    assert request.values["country"] == "CN"
    assert request.values["phone"] == request.phone == "+86 29 8849 1234"
    # The queue, search and CSV read the columns.
    assert (request.representative_name, request.organisation, request.email) == (
        "WANG XIAOMING 王小明",
        "VISION UNIVERSITY",
        "wang@uni.example",
    )
    assert LicenseRequest.objects.filter(search_text__contains="vision university").count() == 1
    assert ClauseAcceptance.objects.filter(request=request).count() == 2

    page = alice_client.get(request.get_absolute_url()).content.decode()
    for text in (
        "Student ID",
        "S-20240117",
        "Supervisor&#x27;s name",
        "Prof. Ada Chen",
        "China",
        "Yes",
        "have it signed by Researcher and Supervisor",
    ):
        assert text in page

    words = pdf_words(bytes(IssuedAgreement.objects.get().pdf))
    for text in (
        "Researcher",
        "Supervisor",
        "Student ID: S-20240117",
        "Name in Latin letters: WANG XIAOMING",
        "Country: China",
        "Intended use: academic",
        "Supervisor's telephone: +86 29 8849 1234",
        "Institution: VISION UNIVERSITY",
        "Researcher's signature",
        "1. The data is for non-commercial research only.",
        "Publication",
        "2. Citation: Papers cite the dataset.",
        "By signing below, the parties agree to the terms above.",
        "How to submit",
        "Email the signed agreement with the subject TwoSig request.",
        "Research purpose: Benchmarking.",
    ):
        assert text in words, text
    assert words.index("Researcher's signature") < words.index("Supervisor's name")
    assert "Who must sign" not in words  # the file names no signatory


def test_a_translated_clause_prints_its_binding_text_then_the_marked_chinese_translation(alice_client, two_signers):
    agreement = two_signers.current_agreement
    alice_client.post(reverse("requests_app:apply", args=["two-signers"]), filled(agreement))
    request = LicenseRequest.objects.get()
    issued = bytes(IssuedAgreement.objects.get().pdf)

    words = pdf_words(issued)
    in_order = [
        "2. Citation: Papers cite the dataset.",
        "Courtesy translation (简体中文) — the English text above binds.",
        "参考译文（简体中文）——具有约束力的是上方的英语文本。",
        "发表",
        "2. 引用: 论文须引用数据集。",
        "By signing below, the parties agree to the terms above.",
    ]
    positions = [words.find(text) for text in in_order]
    assert -1 not in positions, dict(zip(in_order, positions, strict=True))
    assert positions == sorted(positions)
    assert words.count("Courtesy translation") == 1  # clause 1 has no translation
    # The document is the same whoever issues it: a reviewer reading Chinese renders the same words.
    with translation.override("zh-hans"):
        assert pdf_words(render_agreement(request, agreement)) == words


def test_an_agreement_without_clause_translations_prints_no_courtesy_marker(alice_client, tmp_path):
    path = variant(
        tmp_path, 'translations.zh-Hans = { heading = "发表", title = "引用", text = "论文须引用数据集。" }\n', ""
    )
    agreement = load_dataset_file(path).agreement_version
    alice_client.post(reverse("requests_app:apply", args=["two-signers"]), filled(agreement))

    words = pdf_words(bytes(IssuedAgreement.objects.get().pdf))
    assert "2. Citation: Papers cite the dataset." in words
    assert "Courtesy translation" not in words and "参考译文" not in words and "论文须引用数据集" not in words


def test_the_research_purpose_is_asked_only_when_the_file_asks_for_it(db, tmp_path):
    path = variant(tmp_path, "research_purpose = true\n", "")
    version = load_dataset_file(path).agreement_version
    form = ApplicationForm(agreement=version, submitting=True)
    assert "research_purpose" not in form.fields


def test_optional_keys_take_their_defaults(two_signers):
    assert (two_signers.contact_name, two_signers.citation_text, two_signers.citation_bibtex) == ("", "", "")
    assert two_signers.turnaround_days == 10 and two_signers.licence_duration_days is None
    version = two_signers.current_agreement
    assert version.signatory == ""
    assert version.clauses[0]["title"] == "" and version.clauses[1]["translations"] == {
        "zh-hans": {"heading": "发表", "title": "引用", "text": "论文须引用数据集。"}
    }
    assert version.layout["language"] == "en"
    assert [s["key"] for s in version.layout["signers"]] == ["researcher", "supervisor"]


def test_every_problem_is_reported_with_its_key_and_line_and_nothing_is_written(db, tmp_path):
    text = (
        SOURCE.replace('type = "email"', 'type = "e-mail"', 1)
        .replace('name = "TwoSig"', 'name = "TwoSig"\nnmae = "typo"', 1)
        .replace("research_purpose = true", 'research_purpose = "yes"', 1)
        .replace('options = ["academic", "government"]', "", 1)
    )
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetFileError) as caught:
        parse_dataset_file(path)
    message = str(caught.value)
    lines = text.splitlines()
    expected = {
        "nmae: is not a key of the format (a typo?)": 'nmae = "typo"',
        "agreement.research_purpose: must be true or false": 'research_purpose = "yes"',
        "agreement.signers[0].fields[1].type: must be": 'type = "e-mail"',
        "agreement.signers[0].fields[6]: a choice needs at least two `options`": "[[agreement.signers.fields]]",
    }
    for problem, line_text in expected.items():
        assert f"{path}: {problem}" in message
        reported = [line for line in message.splitlines() if problem in line][0]
        number = int(reported.rsplit("(line ", 1)[1].rstrip(")"))
        assert lines[number - 1].strip().startswith(line_text), (problem, lines[number - 1])
    with pytest.raises(CommandError):
        call_command("load_dataset", str(path))
    assert Dataset.objects.count() == AgreementVersion.objects.count() == 0


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ('key = "supervisor_name"', 'key = "project"', "field key 'project' is used twice"),
        ('key = "student_id"', 'key = "research_purpose"', "`research_purpose` is asked by"),
        (
            'key = "supervisor_name"\nlabel',
            'key = "signing_date"\nlabel',
            "the well-known key 'signing_date' must have type 'date'",
        ),
        (
            'key = "homepage"\nlabel = "Web page"\ntype = "url"',
            'key = "organisation_website"\nlabel = "Web page"\ntype = "text"',
            "the well-known key 'organisation_website' must have type 'url'",
        ),
        ("format = 2", "format = 3", "format: must be 2"),
        (
            'reference_prefix = "TWO-SIG"',
            'reference_prefix = "two sig"',
            "reference_prefix: does not have the expected form",
        ),
        ('heading = "Publication"', 'number = 3\nheading = "Publication"', "clause 2 has number 3"),
        ('type = "long_text"', 'type = "long_text"\noptions = ["a", "b"]', "`options` are only for type"),
        ('type = "checkbox"', 'type = "checkbox"\nsearchable = true', "`searchable` is only for text types"),
    ],
)
def test_inconsistent_declarations_are_refused(db, tmp_path, old, new, problem):
    with pytest.raises(DatasetFileError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        parse_dataset_file(variant(tmp_path, old, new))


def test_a_field_marked_searchable_is_a_new_version_and_the_others_keep_their_fingerprint(two_signers, tmp_path):
    assert two_signers.current_agreement.sha256 == TWO_SIGNERS_SHA256
    marked = load_dataset_file(variant(tmp_path, 'key = "student_id"\n', 'key = "student_id"\nsearchable = true\n'))
    assert marked.version_created
    flagged = [spec["name"] for spec in marked.agreement_version.signer_fields if "searchable" in spec]
    assert flagged == ["student_id"]


def test_a_changed_signer_layout_is_a_new_version(two_signers, tmp_path):
    again = load_dataset_file(TWO_SIGNERS)
    assert not again.version_created
    changed = load_dataset_file(variant(tmp_path, 'title = "Supervisor"', 'title = "Academic supervisor"'))
    assert changed.version_created and changed.agreement_version.label == "1-" + changed.agreement_version.sha256[:8]


def test_a_returned_custom_field_is_corrected_and_the_others_stay_as_signed(alice_client, two_signers, bob):
    two_signers.reviewers.add(bob)
    agreement = two_signers.current_agreement
    alice_client.post(reverse("requests_app:apply", args=["two-signers"]), filled(agreement))
    request = journeys.signed_copy_sent(LicenseRequest.objects.get())
    request_return_for_correction(request=request, reviewer=bob, fields=["student_id"], reason="Wrong ID.")
    edit = reverse("requests_app:request_edit", args=[request.reference])
    page = alice_client.get(edit).content.decode()
    assert "Student ID" in page
    # Alice tries to change the supervisor too: only the returned field is taken.
    alice_client.post(edit, filled(agreement, student_id="S-20240118", supervisor_name="Someone Else"))
    request.refresh_from_db()
    assert request.status == "awaiting_signature"
    assert request.values["student_id"] == "S-20240118"
    assert request.values["supervisor_name"] == "Prof. Ada Chen"
    assert request.values["signing_date"] == timezone.localdate().isoformat()
    with pytest.raises(DecisionInvalid):
        request_resubmit(
            request=request,
            user=request.applicant,
            fields={"values": {**request.values, "supervisor_name": "X"}},
        )
