"""Every admin changelist costs the same queries whatever its table's size, and counts only so far.

Root, the administrator, browses the records of a portal that has run for years: thousands of
requests, their histories, the reminders sent, the papers reported. Each changelist is one page of
the newest rows, with what its columns show selected in the same query; bench/admin_changelists.py
measures the time at 100,000 rows against 1,000.
"""

import itertools

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import admin as portal_admin
from requests_app.identity.models import RepresentativeConfirmation
from requests_app.integrations.models import (
    ApiKey,
    HuggingFaceCall,
    HuggingFacePendingRequest,
    Webhook,
    WebhookDelivery,
)
from requests_app.models import (
    DeliveryView,
    LicenseRequest,
    Notification,
    Publication,
    RequestEvent,
    ReviewerGrant,
    ReviewerPreference,
    ReviewerRemark,
    SignedCopy,
)
from requests_app.privacy.models import SignedCopyView
from tests import journeys
from tests.factories import LicenseRequestFactory, UserFactory

CHANGELISTS = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "requests_app"
)
serial = itertools.count()


@pytest.fixture
def root_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def licence(alice, bob, lagper):
    return journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)


def grow(licence, bob, rows: int) -> None:
    """`rows` more of every record the admin lists, each with its own people and requests where it has them."""
    now, dataset, issued = timezone.now(), licence.dataset, licence.issued_agreements.first()
    webhook = Webhook.objects.get_or_create(
        dataset=dataset,
        url="https://hooks.example.org/",
        defaults={"secret": "whsec_x", "created_by": bob, "created_at": now},
    )[0]
    for _ in range(rows):
        n = next(serial)
        person = UserFactory()
        request = LicenseRequestFactory(dataset=dataset, applicant=person)
        ReviewerPreference.objects.create(user=person)
        ReviewerGrant.objects.create(dataset=dataset, reviewer=person, granted=True, by=bob, at=now)
        ApiKey.objects.create(user=person, name=f"key {n}", prefix=f"pfx{n}", key_hash="x", created_at=now)
        SignedCopy.objects.create(
            request=request,
            issued_agreement=issued,
            uploaded_by=person,
            uploaded_at=now,
            kind=SignedCopy.Kind.SCAN_MATCHED,
            summary="Signed.",
        )
        Notification.objects.create(
            request=request, recipient=person, kind="terms_reminder", period="month-6", created_at=now
        )
        Publication.objects.create(
            request=request,
            title=f"Paper {n}",
            venue="CVPR",
            year=2024,
            link="10.1/x",
            reported_at=now,
            reported_by=person,
        )
        ReviewerRemark.objects.create(request=request, author=bob, text="Checked.", at=now)
        DeliveryView.objects.create(request=request, user=person, at=now)
        HuggingFaceCall.objects.create(
            request=request, repo="org/lagper", action="grant", username=f"hf{n}", at=now, ok=True
        )
        HuggingFacePendingRequest.objects.create(
            dataset=dataset, username=f"waiting{n}", first_seen_at=now, last_seen_at=now
        )
        WebhookDelivery.objects.create(
            webhook=webhook, msg_id=f"msg_{n}", event_type="licence.approved", payload={}, created_at=now
        )
        SignedCopyView.objects.create(request=request, viewer=bob, at=now)
        RepresentativeConfirmation.objects.create(request=request, email=f"rep{n}@example.org", sent_at=now)
        RequestEvent.objects.create(request=request, actor=bob, to_status=request.status, at=now)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("model_name", CHANGELISTS)
def test_roots_changelist_costs_the_same_queries_for_two_rows_or_six(root_client, licence, bob, model_name):
    url = reverse(f"admin:requests_app_{model_name}_changelist")
    grow(licence, bob, 2)
    few = queries(root_client, url)
    grow(licence, bob, 4)
    assert queries(root_client, url) == few


@pytest.mark.parametrize("model_name", CHANGELISTS)
def test_no_changelist_sorts_or_counts_a_growing_table_without_bound(model_name):
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.model_name == model_name)
    assert model_admin.date_hierarchy is None  # its years are a DISTINCT over every row
    if model_name not in {"dataset", "reviewerpreference"}:  # one row per dataset or per reviewer
        assert isinstance(model_admin, portal_admin.BoundedChangelist)
        assert model_admin.ordering == ["-pk"] and not model_admin.sortable_by
        assert not model_admin.show_full_result_count


def test_root_sees_a_count_that_stopped_at_its_bound(root_client, licence, bob, monkeypatch):
    monkeypatch.setattr(portal_admin.BoundedPaginator, "BOUND", 3)
    grow(licence, bob, 4)
    url = reverse("admin:requests_app_licenserequest_changelist")
    page = root_client.get(url).content.decode()
    assert "3+ licence requests" in page
    assert "5 licence requests" not in page
    searched = root_client.get(url, {"q": "LAGPER"}).content.decode()
    assert "3 results+" in searched
    filtered = root_client.get(url, {"status__exact": LicenseRequest.Status.APPROVED}).content.decode()
    assert "1 licence request" in filtered and "1+" not in filtered


def test_root_pastes_a_reference_and_the_admin_finds_it_by_its_unique_index(root_client, licence, bob):
    grow(licence, bob, 2)
    url = reverse("admin:requests_app_licenserequest_changelist")
    with CaptureQueriesContext(connection) as captured:
        page = root_client.get(url, {"q": f" {licence.reference.lower()} "}).content.decode()
    assert f">{licence.reference}<" in page and "1 result" in page
    listed = [q["sql"] for q in captured.captured_queries if "requests_app_licenserequest" in q["sql"]]
    assert listed and all("LIKE" not in sql.upper() for sql in listed), "one lookup, not a scan of every field"
