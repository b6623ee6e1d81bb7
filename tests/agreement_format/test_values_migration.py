"""Requests made before agreements declared their fields survive the move into `values` unchanged."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("requests_app", "0009_reviewer_grants")]
AFTER = [("requests_app", "0010_agreement_fields_as_data")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_requests_keep_every_value_through_the_migration(clock):
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Dataset = old.get_model("requests_app", "Dataset")
    AgreementVersion = old.get_model("requests_app", "AgreementVersion")
    LicenseRequest = old.get_model("requests_app", "LicenseRequest")
    now = timezone.now()
    alice = User.objects.create(username="alice", email="alice@uni.example")
    dataset = Dataset.objects.create(
        slug="lagper",
        name="LAGPeR",
        full_name="LAGPeR",
        description="d",
        owner="NWPU",
        contact_name="S",
        contact_email="s@nwpu.example",
        citation_text="c",
        citation_bibtex="b",
        delivery_instructions="i",
        reference_prefix="LAGPER",
    )
    version = AgreementVersion.objects.create(
        dataset=dataset,
        label="1",
        title="t",
        clauses=[{"number": 1, "title": "T", "text": "x"}],
        signer_fields=[{"name": "representative_name", "label": "Name", "required": True, "capitals": True}],
        signatory="s",
        sha256="0" * 64,
        published_at=now,
    )
    signed = timezone.localdate() - datetime.timedelta(days=3)
    LicenseRequest.objects.create(
        reference="LAGPER-1",
        applicant=alice,
        dataset=dataset,
        agreement_version=version,
        representative_name="PROF. LI WEI",
        representative_title="Dean",
        organisation="EXAMPLE UNIVERSITY",
        unit="Vision Lab",
        address="1 ROAD\nCITY",
        email="dean@uni.example",
        phone="+86 1",
        signing_date=signed,
        research_purpose="Benchmarking.",
        status="approved",
    )
    LicenseRequest.objects.create(
        reference="LAGPER-2",
        applicant=alice,
        dataset=dataset,
        agreement_version=version,
        status="draft",
    )

    try:
        new = migrate(AFTER)
        _check(new, signed)
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())


def _check(new, signed):
    LicenseRequest = new.get_model("requests_app", "LicenseRequest")
    first, draft = LicenseRequest.objects.order_by("reference")
    assert first.values == {
        "representative_name": "PROF. LI WEI",
        "representative_title": "Dean",
        "organisation": "EXAMPLE UNIVERSITY",
        "unit": "Vision Lab",
        "address": "1 ROAD\nCITY",
        "email": "dean@uni.example",
        "phone": "+86 1",
        "signing_date": signed.isoformat(),
        "research_purpose": "Benchmarking.",
    }
    assert first.representative_name == "PROF. LI WEI" and first.status == "approved"
    assert draft.values["signing_date"] == "" and draft.values["organisation"] == ""
    # Search still reads the columns.
    assert LicenseRequest.objects.filter(search_text__contains="example university").count() == 1
    assert new.get_model("requests_app", "AgreementVersion").objects.get().layout == {}
