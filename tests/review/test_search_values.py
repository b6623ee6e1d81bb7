"""Bob finds a request in his queue by the values its agreement marks searchable (a supervisor's name,
and every email field), as they stand after each write: an application, a correction, a renewal, a
removal of personal data."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from requests_app import search
from requests_app.agreement_format.loading import load_dataset_file
from requests_app.models import LicenseRequest
from requests_app.privacy.services import personal_data_remove
from requests_app.review.services import request_approve, reviewer_grant
from requests_app.reviewing.renewals import licence_extend, renewal_submit
from tests import journeys
from tests.agreement_format.test_dataset_format import filled, variant
from tests.review.test_renewals import client_for

# two_signers.toml with its supervisor's name searchable and the supervisor's email asked.
SUPERVISOR_NAME = 'key = "supervisor_name"\nlabel = "Supervisor\'s name"\n'
SEARCHABLE_SUPERVISOR = (
    SUPERVISOR_NAME
    + "searchable = true\n\n[[agreement.signers.fields]]\n"
    + 'key = "supervisor_email"\nlabel = "Supervisor\'s email"\ntype = "email"\n'
)
BEFORE_SEARCH_VALUES = [("requests_app", "0036_verbose_names")]


@pytest.fixture
def supervised(db, tmp_path, bob):
    dataset = load_dataset_file(variant(tmp_path, SUPERVISOR_NAME, SEARCHABLE_SUPERVISOR)).dataset
    dataset.licence_duration_days = 365
    dataset.save()
    reviewer_grant(dataset=dataset, reviewer=bob)
    return dataset


@pytest.fixture
def supervised_request(alice_client, supervised):
    """Alice's request, supervised by Prof. Ada Chen, under review."""
    form = filled(supervised.current_agreement, supervisor_email="Ada.Chen@vision.example")
    alice_client.post(reverse("requests_app:apply", args=[supervised.slug]), form)
    return journeys.signed_copy_sent(LicenseRequest.objects.get())


def found(reviewer, term: str) -> set[str]:
    page = client_for(reviewer).get(reverse("review:queue"), {"q": term, "status": ""}).content.decode()
    return {r for r in LicenseRequest.objects.values_list("reference", flat=True) if r in page}


def test_bob_finds_a_request_by_its_supervisors_name_and_email(supervised_request, bob):
    reference = supervised_request.reference
    assert found(bob, "ada chen") == {reference}
    assert found(bob, "chen@VISION") == {reference}  # an email field is searchable without the flag
    assert found(bob, "S-20240117") == set()  # the student ID is not searchable


def test_after_a_correction_bob_finds_the_new_supervisor_and_not_the_old_one(supervised_request, alice_client, bob):
    journeys.returned(supervised_request, reviewer=bob, fields=["supervisor_name", "supervisor_email"])
    corrected = filled(
        supervised_request.agreement_version,
        supervisor_name="Prof. Grace Hopper",
        supervisor_email="g.hopper@navy.example",
    )
    alice_client.post(reverse("requests_app:request_edit", args=[supervised_request.reference]), corrected)
    assert LicenseRequest.objects.get().status == "awaiting_signature"
    assert found(bob, "grace hopper") == found(bob, "hopper@navy") == {supervised_request.reference}
    assert found(bob, "ada chen") == found(bob, "chen@vision") == set()


def test_a_renewed_licence_is_found_by_the_supervisor_the_renewal_named(supervised_request, alice, bob, clock):
    expiry = supervised_request.submitted_at + datetime.timedelta(days=365)
    licence = request_approve(request=supervised_request, reviewer=bob, expires_at=expiry)
    clock.move_to(expiry - datetime.timedelta(days=10))
    renewal_submit(request=licence, user=alice, fields={"supervisor_name": "Prof. Grace Hopper"})
    assert found(bob, "ada chen") == {licence.reference}  # until a reviewer accepts the change
    licence_extend(request=licence, reviewer=bob)
    assert found(bob, "grace hopper") == {licence.reference}
    assert found(bob, "ada chen") == set()


def test_removing_the_personal_data_removes_the_supervisor_from_the_search(supervised_request, bob):
    assert found(bob, "ada chen") == {supervised_request.reference}
    personal_data_remove(request=supervised_request)
    assert found(bob, "ada chen") == found(bob, "chen@vision") == set()


@pytest.mark.django_db(transaction=True)
def test_requests_made_before_the_migration_are_found_by_their_searchable_values():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_SEARCH_VALUES)
    old = executor.loader.project_state(BEFORE_SEARCH_VALUES).apps
    dataset = old.get_model("requests_app", "Dataset").objects.create(
        slug="two-signers", name="TwoSig", reference_prefix="TWO-SIG", licence_duration_days=None
    )
    fields = [
        {"name": "supervisor_name", "label": "Supervisor", "type": "text", "required": True, "signer": "s"},
        {"name": "student_id", "label": "Student ID", "type": "text", "required": False, "signer": "s"},
    ]
    version = old.get_model("requests_app", "AgreementVersion").objects.create(
        dataset=dataset,
        label="1",
        clauses=[{"number": 1, "title": "", "text": "For research only."}],
        sha256="0" * 64,
        published_at=timezone.now(),
        signer_fields=[{**fields[0], "searchable": True}, fields[1]],
        layout={"format": 2, "signers": [{"key": "s", "title": "Supervisor"}]},
    )
    applicant = old.get_model("auth", "User").objects.create(username="alice", email="alice@uni.example")
    request = old.get_model("requests_app", "LicenseRequest").objects.create(
        reference="TWO-SIG-1",
        applicant=applicant,
        dataset=dataset,
        agreement_version=version,
        values={"supervisor_name": "Prof. Ada Chen", "student_id": "S-20240117"},
    )
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        assert search.matching_ids("ada chen", limit=10) == [request.pk]
        assert search.matching_ids("S-2024", limit=10) == []
    finally:
        LicenseRequest.objects.all().delete()
