"""Li Wei applies from Northwestern Polytechnical University and types its name in Chinese. The
agreement asks for the organisation in capitals: Chinese has no case, so the form keeps 西北工业大学 as
typed and asks for the same in Latin letters beside it, instead of letting it pass as if it were capitals."""

from django.urls import reverse
from django.utils import timezone

from requests_app.agreement_format.loading import parse_dataset_file
from requests_app.models import LicenseRequest
from tests import journeys
from tests.applications.test_application import application_data
from tests.paths import LAGPER_TOML

NWPU = "西北工业大学"


def apply(client, lagper, **fields):
    return client.post(
        reverse("requests_app:apply", args=["lagper"]), application_data(lagper.current_agreement, **fields)
    )


def test_the_dataset_file_asks_for_the_name_and_organisation_in_latin_letters_too():
    _, agreement = parse_dataset_file(LAGPER_TOML)
    asked = {f["name"] for f in agreement["signer_fields"] if f.get("romanised")}
    assert asked == {"representative_name", "organisation"}


def test_a_chinese_organisation_without_its_latin_form_is_refused_and_nothing_is_lost(alice_client, lagper):
    response = apply(
        alice_client,
        lagper,
        organisation=NWPU,
        representative_name="王教授",
        representative_name_romanised="Prof. Wang",
    )
    assert response.status_code == 200
    assert not LicenseRequest.objects.exists()
    form = response.context["form"]
    assert form.errors == {
        "organisation_romanised": [
            "Also write this in Latin letters: the agreement needs it in a form everyone can read."
        ]
    }
    page = response.content.decode()
    assert NWPU in page and "王教授" in page and "Prof. Wang" in page


def test_the_latin_form_is_stored_in_capitals_beside_the_chinese_one(alice_client, lagper):
    apply(
        alice_client,
        lagper,
        organisation=NWPU,
        organisation_romanised="Northwestern Polytechnical University",
        representative_name="王教授",
        representative_name_romanised="Prof. Wang",
    )
    request = LicenseRequest.objects.get()
    assert request.organisation == NWPU
    assert request.value("organisation_romanised") == "NORTHWESTERN POLYTECHNICAL UNIVERSITY"
    assert request.representative_name == "王教授" and request.value("representative_name_romanised") == "PROF. WANG"
    rows = dict(request.signer_values())
    assert rows["Organization (in capitals), in Latin letters"] == "NORTHWESTERN POLYTECHNICAL UNIVERSITY"


def test_chinese_characters_in_the_latin_field_are_refused(alice_client, lagper):
    response = apply(alice_client, lagper, organisation=NWPU, organisation_romanised=NWPU)
    assert response.context["form"].errors["organisation_romanised"] == [
        "Use Latin letters here (pinyin or the English name), not Chinese characters."
    ]


def test_a_name_already_in_latin_letters_needs_nothing_more(alice_client, lagper):
    apply(alice_client, lagper, organisation="École Polytechnique")
    request = LicenseRequest.objects.get()
    assert request.organisation == "ÉCOLE POLYTECHNIQUE" and request.value("organisation_romanised") == ""


def test_a_draft_may_leave_the_latin_form_for_later(alice_client, lagper):
    apply(alice_client, lagper, organisation=NWPU, submit=None, save="Save")
    assert LicenseRequest.objects.get().status == LicenseRequest.Status.DRAFT


def test_the_form_explains_the_latin_field_in_both_languages(alice_client, lagper):
    page = alice_client.get(reverse("requests_app:apply", args=["lagper"])).content.decode()
    assert 'name="organisation_romanised"' in page
    assert "also write it here in Latin letters" in page and "请在此用拉丁字母" in page


def test_a_returned_organisation_is_corrected_in_both_spellings(alice, bob, lagper, client):
    request = journeys.under_review(
        applicant=alice,
        dataset=lagper,
        organisation=NWPU,
        values={"organisation_romanised": "NORTHWESTERN POLYTECHNIC"},
        signing_date=timezone.localdate(),
    )
    journeys.returned(request, reviewer=bob, fields=("organisation",), reason="Spell the university's name in full.")
    client.force_login(alice)
    response = client.post(
        reverse("requests_app:request_edit", args=[request.reference]),
        {"organisation": NWPU, "organisation_romanised": "Northwestern Polytechnical University", "submit": "Resubmit"},
    )
    assert response.status_code == 302, response.context["form"].errors
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.AWAITING_SIGNATURE
    assert request.value("organisation_romanised") == "NORTHWESTERN POLYTECHNICAL UNIVERSITY"


def test_a_value_that_already_carries_its_latin_form_needs_no_companion(alice_client, lagper):
    apply(alice_client, lagper, organisation="西北工业大学 Northwestern Polytechnical University")
    assert LicenseRequest.objects.get().organisation == "西北工业大学 NORTHWESTERN POLYTECHNICAL UNIVERSITY"


def test_the_agreement_pdf_prints_both_spellings(alice, lagper):
    import subprocess

    request = journeys.submitted(
        applicant=alice,
        dataset=lagper,
        organisation=NWPU,
        values={"organisation_romanised": "NORTHWESTERN POLYTECHNICAL UNIVERSITY"},
    )
    pdf = bytes(request.issued_agreements.get().pdf)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert NWPU in text
    assert "in Latin letters: NORTHWESTERN POLYTECHNICAL UNIVERSITY" in " ".join(text.split())
