"""The administrator manages datasets in the Django admin but cannot rewrite what applicants signed:
a referenced agreement version, a request's status and the history are read-only there.
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    AgreementVersion,
    Dataset,
    LicenseRequest,
    Publication,
    RequestEvent,
    ReviewerGrant,
    ReviewerRemark,
)
from requests_app.publications.services import publication_report
from requests_app.review.services import remark_add
from tests import journeys
from tests.factories import LicenseRequestFactory, UserFactory


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:requests_app_{model._meta.model_name}_{view}", args=args)


def version_form(version, **changes):
    data = {
        "dataset": version.dataset_id,
        "label": version.label,
        "title": version.title,
        "preamble": version.preamble,
        "signatory": version.signatory,
        "closing": version.closing,
        "clauses": json.dumps(version.clauses),
        "signer_fields": json.dumps(version.signer_fields),
        "published_at_0": timezone.localdate().isoformat(),
        "published_at_1": "09:00:00",
    }
    return {**data, **changes}


def test_an_agreement_version_is_shown_but_never_changed_in_the_admin(admin_client, lagper):
    # Even one nobody signed yet: its published_at decides what new applicants sign.
    version = lagper.current_agreement
    before = AgreementVersion.objects.values().get(pk=version.pk)

    page = admin_client.get(admin_url(AgreementVersion, "change", version.pk))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode() and 'name="published_at_0"' not in page.content.decode()
    changed = version_form(version, title="Edited", published_at_0="2000-01-01")
    assert admin_client.post(admin_url(AgreementVersion, "change", version.pk), changed).status_code == 403
    assert admin_client.post(admin_url(AgreementVersion, "delete", version.pk), {"post": "yes"}).status_code == 403
    assert admin_client.get(admin_url(AgreementVersion, "add")).status_code == 403
    assert AgreementVersion.objects.values().get(pk=version.pk) == before


def dataset_form(dataset, reviewers):
    fields = {
        f.name: getattr(dataset, f.attname) or ""
        for f in Dataset._meta.concrete_fields
        if f.name not in ("id", "facts", "canned_reasons")
    }
    return {
        **fields,
        "facts": json.dumps(dataset.facts),
        "canned_reasons": json.dumps(dataset.canned_reasons),
        "reviewers": [user.pk for user in reviewers],
    }


def test_making_and_unmaking_a_reviewer_in_the_admin_is_recorded(admin_client, lagper, bob):
    dave = UserFactory(username="dave", email="dave@nwpu.example")
    response = admin_client.post(admin_url(Dataset, "change", lagper.pk), dataset_form(lagper, [dave]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(lagper.reviewers.all()) == [dave]
    grants = ReviewerGrant.objects.order_by("pk").values_list("reviewer__username", "granted", "by__username")
    assert list(grants) == [("bob", True, None), ("dave", True, "root"), ("bob", False, "root")]


@pytest.mark.parametrize("model", [Publication, ReviewerRemark, ReviewerGrant], ids=lambda m: m.__name__)
def test_records_cannot_be_added_in_the_admin(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 403


@pytest.fixture
def one_of_each_record(lagper, alice, bob):
    """A publication, a remark and a grant, each made the way the portal makes it."""
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    publication_report(
        request=licence,
        user=alice,
        fields={"title": "Aerial re-identification", "venue": "CVPR", "year": 2026, "link": "10.1000/lagper"},
    )
    remark_add(request=licence, author=bob, text="Checked the unit with the lab.")
    return {model: model.objects.get() for model in (Publication, ReviewerRemark, ReviewerGrant)}


@pytest.mark.parametrize("model", [Publication, ReviewerRemark, ReviewerGrant], ids=lambda m: m.__name__)
def test_records_cannot_be_changed_or_deleted_in_the_admin(admin_client, one_of_each_record, model):
    record = one_of_each_record[model]
    before = model.objects.filter(pk=record.pk).values().get()

    changed = admin_client.post(admin_url(model, "change", record.pk), {"text": "rewritten", "title": "rewritten"})
    deleted = admin_client.post(admin_url(model, "delete", record.pk), {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert model.objects.filter(pk=record.pk).values().get() == before


def test_a_request_is_shown_but_cannot_be_changed_in_the_admin(admin_client, alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    page = admin_client.get(admin_url(LicenseRequest, "change", request.pk))
    assert page.status_code == 200
    assert request.organisation in page.content.decode()
    assert 'name="status"' not in page.content.decode()
    assert 'name="organisation"' not in page.content.decode()

    response = admin_client.post(
        admin_url(LicenseRequest, "change", request.pk),
        {
            "status": "approved",
            "organisation": "CORRECTED UNIVERSITY",
            "clause_acceptances-TOTAL_FORMS": 0,
            "clause_acceptances-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 1,
            "events-INITIAL_FORMS": 1,
        },
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.organisation == "EXAMPLE UNIVERSITY"
    assert request.status == LicenseRequest.Status.AWAITING_SIGNATURE
    assert request.events.count() == 2  # started and submitted: nothing added


def test_requests_are_not_added_or_deleted_in_the_admin(admin_client, alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    assert admin_client.get(admin_url(LicenseRequest, "add")).status_code == 403
    assert admin_client.post(admin_url(LicenseRequest, "delete", request.pk), {"post": "yes"}).status_code == 403
    assert LicenseRequest.objects.count() == 1


def test_the_history_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, alice, lagper):
    event = LicenseRequestFactory(dataset=lagper, applicant=alice).events.last()
    assert admin_client.get(admin_url(RequestEvent, "change", event.pk)).status_code == 200  # readable
    assert admin_client.get(admin_url(RequestEvent, "add")).status_code == 403
    assert admin_client.post(admin_url(RequestEvent, "change", event.pk), {"note": "rewritten"}).status_code == 403
    assert admin_client.post(admin_url(RequestEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    response = admin_client.post(
        admin_url(RequestEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert RequestEvent.objects.get(pk=event.pk).note == "Submitted; every clause accepted."
    assert RequestEvent.objects.count() == 2


def add_rows(lagper, applicant, rows):
    requests = LicenseRequestFactory.create_batch(rows, dataset=lagper, applicant=applicant)
    version = lagper.current_agreement
    AgreementVersion.objects.bulk_create(
        AgreementVersion(
            dataset=lagper,
            label=f"draft-{i}",
            title=version.title,
            clauses=version.clauses,
            signer_fields=version.signer_fields,
            signatory=version.signatory,
            sha256=f"{i:064x}",
            published_at=version.published_at,
        )
        for i in range(rows - 1)
    )
    fields = {f.attname: getattr(lagper, f.attname) for f in Dataset._meta.concrete_fields if f.attname != "id"}
    Dataset.objects.bulk_create(
        Dataset(**{**fields, "slug": f"set-{i}", "reference_prefix": f"S{i}"}) for i in range(rows - 1)
    )
    return requests


# Queries per changelist: session, user, then the page's own (the bounded count of what is shown, rows, filters).
CHANGELIST_QUERIES = {Dataset: 5, AgreementVersion: 5, LicenseRequest: 5, RequestEvent: 4}


@pytest.mark.parametrize("rows", [2, 8])
@pytest.mark.parametrize("model", CHANGELIST_QUERIES, ids=lambda m: m.__name__)
def test_admin_changelists_query_count_does_not_grow(
    admin_client, alice, lagper, model, rows, django_assert_num_queries, monkeypatch
):
    from django.contrib import admin

    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 5)  # 8 rows are more than a page
    add_rows(lagper, alice, rows)
    with django_assert_num_queries(CHANGELIST_QUERIES[model]):
        response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() >= rows
