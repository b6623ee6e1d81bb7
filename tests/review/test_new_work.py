"""Bob hears of every piece of new work; Dora, who chose a daily email, hears once a day; Alice gets receipts."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.agreement_format.reacceptance import reacceptance_accept
from requests_app.models import Notification, ReviewerPreference
from requests_app.reviewing.new_work import claim_new_work_digests
from tests import journeys
from tests.factories import UserFactory
from tests.paths import LAGPER_TOML

NewWork = ReviewerPreference.NewWork


@pytest.fixture
def dora(lagper):
    """Another LAGPeR reviewer, who wants one email a day about new work."""
    reviewer = UserFactory(username="dora", email="dora@nwpu.example")
    lagper.reviewers.add(reviewer)
    ReviewerPreference.objects.create(user=reviewer, new_work=NewWork.DAILY)
    return reviewer


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a step as if it were committed, and return the (to, subject) of the emails it sent."""

    def run(step):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = step()
        return result, sorted((m.to[0], m.subject) for m in mail.outbox)

    return run


def test_alices_submission_reaches_bob_and_gives_alice_a_receipt(alice, lagper, bob, dora, sent):
    request, emails = sent(lambda: journeys.submitted(applicant=alice, dataset=lagper))

    assert emails == [
        ("alice@uni.example", f"[Licence portal] {request.reference}: your LAGPeR application is submitted"),
        ("bob@nwpu.example", f"[Licence portal] {request.reference} (LAGPeR): submitted"),
        # and the representative the form names is asked to confirm (identity)
        (
            "dean@uni.example",
            f"[Licence portal] {request.reference}: please confirm a licence request for LAGPeR that names you",
        ),
    ]
    receipt = next(m for m in mail.outbox if m.to == ["alice@uni.example"])
    assert "EXAMPLE UNIVERSITY" in receipt.body and "upload the signed copy" in receipt.body
    to_bob = next(m for m in mail.outbox if m.to == ["bob@nwpu.example"])
    assert f"/review/{request.reference}/" in to_bob.body


def test_each_upload_reaches_bob_and_alices_receipt_gives_the_check_result(alice, lagper, bob, sent):
    request = journeys.submitted(applicant=alice, dataset=lagper)

    _, emails = sent(lambda: journeys.signed_copy_sent(request))
    assert emails == [
        ("alice@uni.example", f"[Licence portal] {request.reference}: signed copy received"),
        ("bob@nwpu.example", f"[Licence portal] {request.reference} (LAGPeR): signed copy received"),
    ]
    receipt = next(m for m in mail.outbox if m.to == ["alice@uni.example"])
    assert "Check: Scan: every page's code is this agreement's (every page of this agreement)." in receipt.body

    _, emails = sent(lambda: journeys.signed_copy_sent(request))  # a replacement, before any decision
    assert len(emails) == 2


def test_a_correction_and_its_new_signed_copy_reach_bob(alice, lagper, bob, sent):
    request = journeys.returned(journeys.under_review(applicant=alice, dataset=lagper), reviewer=bob)

    _, emails = sent(lambda: journeys.resubmitted(request, unit="Vision Lab 2"))
    assert emails[0] == (
        "bob@nwpu.example",
        f"[Licence portal] {request.reference} (LAGPeR): corrected and resubmitted",
    )
    assert [to for to, _ in emails[1:]] == ["dean@uni.example"]  # the representative confirms the corrected request

    _, emails = sent(lambda: journeys.signed_copy_sent(request))
    assert [to for to, _ in emails] == ["alice@uni.example", "bob@nwpu.example"]


def test_bobs_own_decisions_do_not_come_back_to_him_as_new_work(alice, lagper, bob, sent):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    _, emails = sent(lambda: journeys.returned(request, reviewer=bob))
    assert emails == [
        ("alice@uni.example", f"[Licence portal] {request.reference}: please correct your LAGPeR request")
    ]


def test_dora_gets_one_daily_email_listing_the_days_new_work(alice, lagper, bob, dora, sent, clock):
    first = journeys.submitted(applicant=alice, dataset=lagper)
    clock.shift(datetime.timedelta(hours=2))
    journeys.signed_copy_sent(first)
    assert not Notification.objects.filter(recipient=dora, kind=Notification.Kind.NEW_WORK).exists()

    clock.shift(datetime.timedelta(hours=20))
    claimed, emails = sent(lambda: claim_new_work_digests())
    assert claimed == 1
    assert emails == [("dora@nwpu.example", "[Licence portal] New work to review: 2 since yesterday")]
    body = mail.outbox[0].body
    assert body.index("submitted") < body.index("signed copy received")

    assert sent(lambda: claim_new_work_digests())[1] == []  # run twice: one email
    clock.shift(datetime.timedelta(days=1))
    assert sent(lambda: claim_new_work_digests())[1] == []  # nothing new since


def test_a_reviewer_who_wants_no_new_work_email_gets_none(alice, lagper, bob, sent):
    ReviewerPreference.objects.create(user=bob, new_work=NewWork.NONE)
    _, emails = sent(lambda: journeys.submitted(applicant=alice, dataset=lagper))
    assert [to for to, _ in emails] == ["alice@uni.example", "dean@uni.example"]  # receipt; the representative
    assert sent(lambda: claim_new_work_digests())[1] == []


def test_bob_chooses_how_he_hears_of_new_work_on_the_digest_page(client, bob):
    client.force_login(bob)
    url = reverse("reminders:digest_preference")
    assert re.search(r'value="each"[^>]* checked', client.get(url).content.decode())

    client.post(url, {"daily_digest": "on", "new_work": "daily"})
    preference = ReviewerPreference.objects.get(user=bob)
    assert (preference.daily_digest, preference.new_work) == (True, NewWork.DAILY)

    response = client.post(url, {"new_work": "bogus"})
    assert response.status_code == 200 and "Choose how to hear of new work." in response.content.decode()
    assert ReviewerPreference.objects.get(user=bob).new_work == NewWork.DAILY


def test_alice_accepting_a_changed_agreement_reaches_bob(
    alice, lagper, bob, sent, tmp_path, django_capture_on_commit_callbacks
):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    path = tmp_path / "lagper.toml"
    path.write_text(
        LAGPER_TOML.read_text(encoding="utf-8").replace(
            "may not be used in any commercial activity", "may not be used in any commercial or military activity"
        ),
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=True):
        version = load_dataset_file(path, licensees_must_reaccept=True).agreement_version

    _, emails = sent(
        lambda: reacceptance_accept(
            request=licence, user=alice, clause_numbers={3}, ip="192.0.2.1", user_agent="Firefox"
        )
    )
    assert emails == [
        ("bob@nwpu.example", f"[Licence portal] {licence.reference} (LAGPeR): changed agreement accepted")
    ]
    event = licence.events.last()
    assert (event.transition, event.actor, event.to_status, event.note) == (
        "reacceptance_accept",
        alice,
        "approved",
        f"Changed agreement accepted (version {version.label}).",
    )
