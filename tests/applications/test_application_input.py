"""Alice types what people really type, and worse. Every bad value gets a message beside its field,
keeps what she typed, and writes nothing; good values in any script are stored as the agreement says.
"""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import AgreementVersion, ClauseAcceptance, LicenseRequest, RequestEvent
from tests import journeys
from tests.applications.test_application import application_data
from tests.factories import LicenseRequestFactory, UserFactory
from tests.pages import form_page

TEXT_FIELDS = ["representative_name", "representative_title", "organisation", "address", "unit", "research_purpose"]
FORM_FIELDS = [*TEXT_FIELDS, "email", "signing_date"]

BAD_VALUES = {
    "script markup": "<script>alert('x')</script>",
    "paragraph markup": "Vision Lab</para><para>",
    "10,000 characters": "A" * 10_000,
    "emoji": "Vision Lab 🔬",
    "NUL byte": "Vision\x00Lab",
    "escape sequence": "Vision\x1b[31mLab",
    "right-to-left override": "Vision \u202eLab",
    "whitespace only": " \t\u3000 ",
    "a script the agreement cannot print": "ห้องปฏิบัติการ",
}

TEXT_MESSAGES = {
    "script markup": "Remove the markup",
    "paragraph markup": "Remove the markup",
    "10,000 characters": "Ensure this value has at most",
    "emoji": "Remove the emoji",
    "NUL byte": "Null characters are not allowed.",
    "escape sequence": "Remove the invisible control characters",
    "right-to-left override": "Remove the invisible control characters",
    "whitespace only": "This field is required.",
    "a script the agreement cannot print": "The agreement cannot print ห",
}


def expected_message(field: str, kind: str) -> str:
    if kind == "whitespace only":
        return "This field is required."
    if field == "signing_date":
        return "Enter the date as year-month-day, for example 2026-12-01."
    if field == "email":
        return {
            "10,000 characters": "Ensure this value has at most 254 characters",
            "NUL byte": "Null characters are not allowed.",
        }.get(kind, "Enter a valid email address.")
    return TEXT_MESSAGES[kind]


def bad_input_cases():
    return list(_bad_input_cases())


def _bad_input_cases():
    for field in FORM_FIELDS:
        for kind in BAD_VALUES:
            for action in ("submit", "save"):
                # A draft needs nothing filled in, so an empty field is not an error there.
                if not (action == "save" and kind == "whitespace only"):
                    yield pytest.param(field, kind, action, id=f"{field}-{kind}-{action}")


def assert_nothing_written():
    assert not LicenseRequest.objects.exists()
    assert not RequestEvent.objects.exists()
    assert not ClauseAcceptance.objects.exists()


def apply_url():
    return reverse("requests_app:apply", args=["lagper"])


def post_application(client, agreement, action="submit", url=None, **fields):
    data = application_data(agreement, **fields)
    if action == "save":
        data.pop("submit")
        data["save"] = "Save as draft"
    return client.post(url or apply_url(), data)


@pytest.mark.parametrize("field, kind, action", bad_input_cases())
def test_bad_input_is_refused_beside_its_field_and_kept(alice_client, lagper, field, kind, action):
    typed = BAD_VALUES[kind]
    response = post_application(alice_client, lagper.current_agreement, action, **{field: typed})

    assert response.status_code == 200
    page = form_page(response)
    assert expected_message(field, kind) in page.errors[field]
    assert set(page.errors) == {field}, "only the bad field is marked"
    sent = application_data(lagper.current_agreement, **{field: typed})
    # The companions in Latin letters were left empty, and are shown empty.
    companions = {f"{name}_romanised": "" for name in ("representative_name", "organisation")}
    assert page.values == {name: sent[name] for name in FORM_FIELDS} | companions, "every field shows what was typed"
    assert "nothing you typed was lost" in response.content.decode()
    assert_nothing_written()


def test_bad_input_while_continuing_a_draft_leaves_the_draft_as_it_was(alice_client, alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    before = LicenseRequest.objects.values().get(pk=draft.pk)
    edit_url = reverse("requests_app:request_edit", args=[draft.reference])

    response = post_application(alice_client, lagper.current_agreement, url=edit_url, unit="Lab</para>")

    assert "Remove the markup" in form_page(response).errors["unit"]
    assert LicenseRequest.objects.values().get(pk=draft.pk) == before
    assert draft.events.count() == 1
    assert not ClauseAcceptance.objects.exists()


def test_chinese_stays_as_typed_while_latin_is_upper_cased(alice_client, lagper):
    response = post_application(
        alice_client,
        lagper.current_agreement,
        representative_name="李伟 (Li Wei)",
        organisation="西北工业大学 Northwestern Polytechnical University",
        address="友谊西路127号\nXi'an, Straße 1",
        unit="视觉实验室 Vision Lab",
    )
    assert response.status_code == 302
    request = LicenseRequest.objects.get()
    assert request.representative_name == "李伟 (LI WEI)"
    assert request.organisation == "西北工业大学 NORTHWESTERN POLYTECHNICAL UNIVERSITY"
    assert request.address == "友谊西路127号\nXI'AN, STRASSE 1"
    assert request.unit == "视觉实验室 Vision Lab", "the unit is not asked for in capitals"


def test_names_in_every_script_the_agreement_prints_are_accepted(alice_client, lagper):
    typed = {
        "representative_name": "Γεώργιος Παπαδόπουλος",
        "representative_name_romanised": "Georgios Papadopoulos",
        "representative_title": "أستاذ مشارك",
        "organisation": "אוניברסיטת תל אביב",
        "organisation_romanised": "Tel Aviv University",
        "address": "Москва, ул. Ленина 1",
        "unit": "राजेश प्रसाद प्रयोगशाला",
        "research_purpose": "空地行人重识别",
    }
    response = post_application(alice_client, lagper.current_agreement, **typed)
    assert response.status_code == 302
    request = LicenseRequest.objects.get()
    assert (request.representative_name, request.representative_title, request.address, request.unit) == (
        "ΓΕΏΡΓΙΟΣ ΠΑΠΑΔΌΠΟΥΛΟΣ",
        "أستاذ مشارك",
        "МОСКВА, УЛ. ЛЕНИНА 1",
        "राजेश प्रसाद प्रयोगशाला",
    )


def test_capitals_follow_the_agreements_signer_fields(alice_client, lagper):
    """Which fields are upper-cased is the agreement's decision, read from its signer_fields."""
    agreement = lagper.current_agreement
    typed = {
        "representative_name": "Prof. Li Wei",
        "representative_title": "Dean",
        "organisation": "Example Univ",
        "address": "1 Road",
        "unit": "Vision Lab",
        "email": "Dean@Uni.Example",
    }
    post_application(alice_client, agreement, **typed)
    request = LicenseRequest.objects.get()

    capitals = {spec["name"] for spec in agreement.signer_fields if spec["capitals"]}
    assert capitals == {"representative_name", "organisation", "address"}
    for name, value in typed.items():
        assert getattr(request, name) == (value.upper() if name in capitals else value)


def test_a_new_agreement_asking_for_the_unit_in_capitals_gets_it_in_capitals(alice_client, lagper):
    old = lagper.current_agreement
    fields = [{**spec, "capitals": spec["name"] == "unit"} for spec in old.signer_fields]
    AgreementVersion.objects.create(
        dataset=lagper,
        label="2",
        title=old.title,
        clauses=old.clauses,
        signer_fields=fields,
        signatory=old.signatory,
        sha256="2" * 64,
        published_at=old.published_at + datetime.timedelta(days=1),
    )
    post_application(alice_client, lagper.current_agreement, unit="Vision Lab", organisation="Example Univ")
    request = LicenseRequest.objects.get()
    assert (request.unit, request.organisation) == ("VISION LAB", "Example Univ")


def test_text_that_grows_too_long_in_capitals_is_refused(alice_client, lagper):
    typed = "ß" * 150  # 150 characters fit in 200; "SS" * 150 does not.
    response = post_application(alice_client, lagper.current_agreement, representative_name=typed)
    page = form_page(response)
    assert page.errors["representative_name"].strip() == "In capitals this is 300 characters; the limit is 200."
    assert page.values["representative_name"] == typed
    assert_nothing_written()


def test_an_invalid_form_shows_capital_fields_as_typed(alice_client, lagper):
    response = post_application(
        alice_client, lagper.current_agreement, representative_name="Prof. Li Wei", clause_2=None
    )
    page = form_page(response)
    assert "You must accept this clause to submit." in response.content.decode()
    assert page.values["representative_name"] == "Prof. Li Wei"
    assert_nothing_written()


def test_a_header_with_a_nul_byte_does_not_break_submission(alice_client, lagper):
    response = alice_client.post(
        apply_url(), application_data(lagper.current_agreement), HTTP_USER_AGENT="Mozilla\x00/5.0\x1b"
    )
    assert response.status_code == 302
    assert set(ClauseAcceptance.objects.values_list("user_agent", flat=True)) == {"Mozilla/5.0"}


def test_alice_saves_a_draft_then_continues_and_submits(alice_client, lagper):
    agreement = lagper.current_agreement
    response = post_application(alice_client, agreement, "save", unit="Vision Lab", clause_1=None, research_purpose="")
    draft = LicenseRequest.objects.get()
    edit_url = reverse("requests_app:request_edit", args=[draft.reference])
    assert response.url == edit_url
    assert draft.status == LicenseRequest.Status.DRAFT
    assert not ClauseAcceptance.objects.exists()

    # Coming back to the apply page takes her to her draft, with what she saved.
    assert alice_client.get(apply_url()).url == edit_url
    page = form_page(alice_client.get(edit_url))
    assert page.values["unit"] == "Vision Lab"
    assert page.values["representative_name"] == "PROF. LI WEI"

    response = post_application(alice_client, agreement, url=edit_url, unit="Vision Lab 2")
    draft.refresh_from_db()
    assert response.url == draft.get_absolute_url()
    assert (draft.status, draft.unit) == (LicenseRequest.Status.AWAITING_SIGNATURE, "Vision Lab 2")
    assert LicenseRequest.objects.count() == 1
    assert ClauseAcceptance.objects.filter(request=draft).count() == len(agreement.clauses)
    assert [(e.from_status, e.to_status) for e in draft.events.all()] == [
        ("", "draft"),
        ("draft", "awaiting_signature"),
    ]
    # Submitted means frozen: the edit page now sends her to the status page.
    assert alice_client.get(edit_url).url == draft.get_absolute_url()


def test_an_unverified_user_is_sent_a_link_instead_of_the_form(client, lagper):
    dora = UserFactory(username="dora", email="dora@uni.example", verified=False)
    client.force_login(dora)

    page = client.get(apply_url())
    assert page.status_code == 200
    assert 'name="representative_name"' not in page.content.decode()
    assert "verify" in page.content.decode().lower()
    [verification] = mail.outbox
    assert verification.to == ["dora@uni.example"]

    response = post_application(client, lagper.current_agreement)
    assert 'name="representative_name"' not in response.content.decode()
    assert_nothing_written()


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_applying_without_the_csrf_token_is_refused(alice, lagper):
    client = csrf_client(alice)
    data = application_data(lagper.current_agreement)

    assert client.post(apply_url(), data).status_code == 403
    assert_nothing_written()

    # The same post with the token from the form goes through: the 403 was the missing token.
    client.get(apply_url())
    response = client.post(apply_url(), {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302
    assert LicenseRequest.objects.count() == 1


def test_withdrawing_without_the_csrf_token_is_refused(alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    response = csrf_client(alice).post(reverse("requests_app:request_withdraw", args=[request.reference]))
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.AWAITING_SIGNATURE
    assert request.events.count() == 2  # started and submitted: no withdrawal


@pytest.mark.parametrize("path", ["/requests/LAGPER%00/", "/requests/LAGPER%00/edit/", "/requests/%3Cscript%3E/"])
def test_a_mangled_reference_is_not_found(alice_client, lagper, path):
    assert alice_client.get(path).status_code == 404
    assert alice_client.post(path.replace("edit/", "") + "withdraw/").status_code == 404


# Query counts: the same number of queries for 5 rows as for 200.
ROWS = pytest.mark.parametrize("rows", [2, 6])


@ROWS
def test_my_requests_page_queries_do_not_grow_with_rows(
    alice_client, alice, charlie, lagper, rows, django_assert_num_queries
):
    LicenseRequestFactory.create_batch(rows, dataset=lagper, applicant=alice)
    charlies = LicenseRequestFactory(dataset=lagper, applicant=charlie)
    # session, user, her requests joined with their dataset, the nav's "is she a reviewer?"
    with django_assert_num_queries(4):
        response = alice_client.get(reverse("requests_app:my_requests"))
    body = response.content.decode()
    assert body.count(f'<a href="/requests/LAGPER-{timezone.localdate().year}-') == rows
    assert charlies.reference not in body


@ROWS
def test_dataset_list_queries_do_not_grow_with_rows(alice_client, alice, lagper, rows, django_assert_num_queries):
    LicenseRequestFactory.create_batch(rows, dataset=lagper, applicant=alice)
    lagper_fields = {f.attname: getattr(lagper, f.attname) for f in lagper._meta.concrete_fields if f.attname != "id"}
    lagper._meta.model.objects.bulk_create(
        lagper._meta.model(**{**lagper_fields, "slug": f"set-{i}", "name": f"Set {i:03d}", "reference_prefix": f"S{i}"})
        for i in range(rows - 1)
    )
    # session, user, datasets, the nav's "is she a reviewer?"
    with django_assert_num_queries(4):
        response = alice_client.get(reverse("requests_app:dataset_list"))
    assert response.content.decode().count('class="card h-100"') == rows
