"""A request's `values` are checked against its agreement version's fields by the services, whoever
calls them (the form, the API, the admin, a script): a value of the wrong type, too long, not one
of the options or not asked for is refused, naming it, and nothing is written.
"""

import datetime
import re

import pytest
from django.utils import timezone

from requests_app.agreement_format.formfields import ValuesInvalid
from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.services import application_save, request_save_draft
from requests_app.models import LicenseRequest, RequestEvent
from tests.paths import DATA

COMPLETE = {
    "representative_name": "Wang Xiaoming",
    "email": "wang@uni.example",
    "country": "CN",
    "intended_use": "academic",
    "project": "Cross-view matching.",
    "supervisor_name": "Prof. Ada Chen",
    "phone": "+86 (29) 8849-1234",
    "organisation": "Vision University",
    "supervisor_consents": True,
    "research_purpose": "Benchmarking.",
}


@pytest.fixture
def two_signers(db):
    return load_dataset_file(DATA / "two_signers.toml").dataset


def save(dataset, applicant, values, *, submit=False, request=None):
    return application_save(
        applicant=applicant,
        dataset=dataset,
        request=request,
        fields={"values": {**values, "signing_date": timezone.localdate().isoformat()}},
        submit=submit,
        ip=None,
        user_agent="a script",
    )


@pytest.mark.parametrize(
    "name, value, problem",
    [
        ("supervisor_consents", "yes", "supervisor_consents: must be true or false"),
        ("project", 42, "project: must be text"),
        ("supervisor_name", "x" * 301, "supervisor_name: Ensure this value has at most 300 characters (it has 301)."),
        ("intended_use", "commercial", "intended_use: Select a valid choice. commercial is not one of"),
        ("country", "Atlantis", "country: Select a valid choice."),
        ("email", "wang@", "email: Enter a valid email address."),
        ("phone", "8849 1234", "phone: Enter a telephone number with + and the country code"),
        ("favourite_colour", "blue", "favourite_colour: is not a field of this agreement"),
    ],
)
def test_a_value_its_field_refuses_is_not_stored(alice, two_signers, name, value, problem):
    with pytest.raises(ValuesInvalid, match=re.escape(problem)):
        save(two_signers, alice, {**COMPLETE, name: value}, submit=True)
    assert not LicenseRequest.objects.exists() and not RequestEvent.objects.exists()


def test_a_refused_draft_update_leaves_the_draft_as_it_was(alice, two_signers):
    draft = save(two_signers, alice, {"project": "First idea."})
    with pytest.raises(ValuesInvalid, match="intended_use: Select a valid choice"):
        request_save_draft(request=draft, fields={"values": {**draft.values, "intended_use": "military"}})
    draft.refresh_from_db()
    assert draft.values["project"] == "First idea." and "intended_use" not in draft.values


def test_a_draft_may_leave_required_values_out_but_sending_it_may_not(alice, two_signers):
    draft = save(two_signers, alice, {"project": "First idea."})
    with pytest.raises(ValuesInvalid) as refused:
        save(two_signers, alice, {"project": "First idea."}, submit=True, request=draft)
    assert refused.value.problems["supervisor_name"] == "This field is required."
    assert refused.value.problems["supervisor_consents"] == "Tick this box to submit."
    draft.refresh_from_db()
    assert draft.status == LicenseRequest.Status.DRAFT


def test_values_are_stored_as_the_form_stores_them(alice, two_signers):
    request = save(two_signers, alice, COMPLETE, submit=True)
    request.refresh_from_db()
    assert request.values["organisation"] == "VISION UNIVERSITY"
    assert request.values["phone"] == "+86 29 8849 1234"
    assert request.values["supervisor_consents"] is True


def test_a_request_from_before_the_check_with_an_empty_unasked_value_is_still_corrected_and_renewed(
    alice, bob, lagper, clock
):
    """Migration 0010 copied every column into `values`, "phone": "" too, though LAGPeR never asks for one."""
    from requests_app.review.selectors import licence_default_expiry
    from requests_app.reviewing.renewals import renewal_submit
    from tests import journeys

    returned = journeys.returned(journeys.under_review(applicant=alice, dataset=lagper), reviewer=bob)
    licence = journeys.approved(
        applicant=alice, dataset=lagper, reviewer=bob, expires_at=licence_default_expiry(dataset=lagper)
    )
    for request in (returned, licence):
        LicenseRequest.objects.filter(pk=request.pk).update(values={**request.values, "phone": ""})
        request.refresh_from_db()

    journeys.resubmitted(returned, unit="Vision Lab 2")
    assert LicenseRequest.objects.get(pk=returned.pk).status == "awaiting_signature"  # its new agreement to sign
    clock.move_to(licence.expires_at - datetime.timedelta(days=10))
    assert renewal_submit(request=licence, user=alice, fields={"unit": "Drone Lab"}).changed == ["unit"]
