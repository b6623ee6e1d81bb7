"""Two reviewers decide the same request at the same moment: exactly one decision, one event, one email."""

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from requests_app.models import LicenseRequest
from requests_app.review.services import request_approve, request_reject
from requests_app.workflow import TransitionNotAllowed
from tests import journeys
from tests.factories import UserFactory

Status = LicenseRequest.Status

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so the race this test provokes cannot happen there",
)


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_make_exactly_one_decision(lagper):
    alice = UserFactory(username="alice", email="alice@uni.example")
    bob = UserFactory(username="bob", email="bob@nwpu.example")
    erin = UserFactory(username="erin", email="erin@nwpu.example")
    lagper.reviewers.add(bob, erin)
    request_pk = journeys.under_review(applicant=alice, dataset=lagper).pk
    mail.outbox.clear()  # the submission's receipts, the representative's and the reviewers' emails
    start = threading.Barrier(2)
    outcomes = {}

    def decide(name, decision):
        try:
            license_request = LicenseRequest.objects.select_related("dataset", "applicant").get(pk=request_pk)
            start.wait(timeout=10)
            decision(license_request)
            outcomes[name] = "decided"
        except TransitionNotAllowed as error:
            outcomes[name] = str(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=decide, args=("bob", lambda r: request_approve(request=r, reviewer=bob, expires_at=None))
        ),
        threading.Thread(
            target=decide, args=("erin", lambda r: request_reject(request=r, reviewer=erin, reason="Incomplete."))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    license_request = LicenseRequest.objects.get(pk=request_pk)
    decisions = list(license_request.events.exclude(actor=alice).values_list("to_status", "actor__username"))
    assert sorted(outcomes.values()).count("decided") == 1, outcomes
    assert len(decisions) == 1
    [(to_status, winner)] = decisions
    assert license_request.status == to_status
    loser = "erin" if winner == "bob" else "bob"
    assert f"is already {to_status} ({winner}@nwpu.example" in outcomes[loser]  # "approved" or "rejected"
    assert len(mail.outbox) == 1
