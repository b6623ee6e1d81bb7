"""Alice applies for LAGPeR; Charlie, a stranger, learns nothing about it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.agreement_format.loading import sha256_text
from requests_app.models import ClauseAcceptance, LicenseRequest, RequestEvent


def application_data(agreement, **overrides):
    data = {
        "representative_name": "Prof. Li Wei",
        "representative_title": "Dean of the School of Computing",
        "signing_date": timezone.localdate().isoformat(),
        "organisation": "Example University",
        "address": "1 University Road\nSpringfield",
        "unit": "Vision Lab",
        "email": "dean@uni.example",
        "research_purpose": "Benchmarking aerial-ground re-identification.",
        "submit": "Submit",
    }
    data.update({f"clause_{c['number']}": "on" for c in agreement.clauses})
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_alice_submits_and_sees_reference_and_history(alice_client, lagper):
    agreement = lagper.current_agreement
    response = alice_client.post(
        reverse("requests_app:apply", args=["lagper"]),
        application_data(agreement),
        HTTP_USER_AGENT="pytest-browser",
        REMOTE_ADDR="203.0.113.7",
    )
    request = LicenseRequest.objects.get()
    assert response.status_code == 302
    assert response.url == request.get_absolute_url()
    assert request.reference == f"LAGPER-{timezone.localdate().year}-{request.pk:06d}"
    assert request.status == LicenseRequest.Status.AWAITING_SIGNATURE
    assert request.representative_name == "PROF. LI WEI"
    assert request.organisation == "EXAMPLE UNIVERSITY"
    assert request.address == "1 UNIVERSITY ROAD\nSPRINGFIELD"
    assert request.representative_title == "Dean of the School of Computing"

    acceptances = ClauseAcceptance.objects.filter(request=request).order_by("clause_number")
    assert [a.clause_number for a in acceptances] == [1, 2, 3, 4]
    assert [a.text_sha256 for a in acceptances] == [sha256_text(c["text"]) for c in agreement.clauses]
    assert {(a.agreement_version_id, a.ip, a.user_agent) for a in acceptances} == {
        (agreement.pk, "203.0.113.7", "pytest-browser")
    }
    assert [(e.from_status, e.to_status) for e in request.events.all()] == [
        ("", "draft"),
        ("draft", "awaiting_signature"),
    ]

    page = alice_client.get(request.get_absolute_url())
    assert page.status_code == 200
    assert request.reference in page.content.decode()
    assert "Awaiting signed agreement" in page.content.decode()


def test_a_clause_left_unchecked_keeps_everything_typed(alice_client, lagper):
    data = application_data(lagper.current_agreement, clause_3=None, unit="Vision Lab 视觉实验室")
    response = alice_client.post(reverse("requests_app:apply", args=["lagper"]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "You must accept this clause to submit." in body
    assert "Vision Lab 视觉实验室" in body
    assert not LicenseRequest.objects.exists()


def test_a_new_application_refused_after_its_draft_was_saved_opens_that_draft(alice_client, lagper, monkeypatch):
    from requests_app.applications import services
    from requests_app.workflow import TransitionNotAllowed

    def refused(*args, **kwargs):
        raise TransitionNotAllowed("Someone changed this request meanwhile.")

    monkeypatch.setattr(services.workflow, "perform", refused)
    data = application_data(lagper.current_agreement, unit="Vision Lab 视觉实验室")
    response = alice_client.post(reverse("requests_app:apply", args=["lagper"]), data, follow=True)

    draft = LicenseRequest.objects.get()
    assert response.redirect_chain == [(reverse("requests_app:request_edit", args=[draft.reference]), 302)]
    body = response.content.decode()
    assert "Someone changed this request meanwhile." in body
    assert "Vision Lab 视觉实验室" in body
    assert draft.status == LicenseRequest.Status.DRAFT


def test_an_unverified_user_cannot_apply(client, lagper):
    from tests.factories import UserFactory

    dora = UserFactory(username="dora", verified=False)
    client.force_login(dora)
    response = client.post(reverse("requests_app:apply", args=["lagper"]), application_data(lagper.current_agreement))
    assert response.status_code == 200
    assert "verify" in response.content.decode().lower()
    assert not LicenseRequest.objects.exists()


def test_charlie_gets_404_for_alices_request(client, charlie, lagper):
    from tests.factories import LicenseRequestFactory

    request = LicenseRequestFactory(dataset=lagper)
    client.force_login(charlie)
    assert client.get(request.get_absolute_url()).status_code == 404
    assert client.post(reverse("requests_app:request_withdraw", args=[request.reference])).status_code == 404


def test_alice_withdraws_before_a_decision(alice_client, alice, lagper):
    from tests.factories import LicenseRequestFactory

    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    alice_client.post(reverse("requests_app:request_withdraw", args=[request.reference]))
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.WITHDRAWN
    assert request.events.last().note == "Withdrawn by the applicant."


def test_request_events_cannot_be_rewritten(alice, lagper):
    from django.db import DatabaseError, connection, transaction

    from tests.factories import LicenseRequestFactory

    event = LicenseRequestFactory(dataset=lagper, applicant=alice).events.last()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        RequestEvent.objects.all().delete()
    # The trigger's own refusal (SQLite: IntegrityError, PostgreSQL: InternalError), not any error.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE requests_app_requestevent SET note = 'rewritten'")
    assert RequestEvent.objects.get(pk=event.pk).note == "Submitted; every clause accepted."


def test_the_representatives_email_is_not_prefilled_with_alices_own(alice_client, alice, lagper):
    # The representative is usually not the applicant: a prefilled address gets submitted unread.
    page = alice_client.get(reverse("requests_app:apply", args=["lagper"])).content.decode()
    assert 'name="email"' in page
    assert alice.email not in page.split('name="email"')[1].split(">")[0]
