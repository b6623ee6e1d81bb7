"""Bob and Dora share LAGPeR's queue: who handles what, what the rows flag, two reviewers when required."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import LicenseRequest
from requests_app.review.selectors import overdue_for_review
from requests_app.review.services import request_approve
from requests_app.reviewing.services import request_assign, request_claim
from requests_app.workflow import TransitionNotAllowed
from tests import journeys
from tests.factories import UserFactory

Status = LicenseRequest.Status


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dora(lagper):
    reviewer = UserFactory(username="dora", email="dora@nwpu.example", first_name="Dora", last_name="Li")
    lagper.reviewers.add(reviewer)
    return reviewer


def act(client, request, action, data=None):
    return client.post(reverse("review:act", args=[request.reference, action]), data or {})


def queue_references(client, **params):
    page = client.get(reverse("review:queue"), params).content.decode()
    return sorted(r.reference for r in LicenseRequest.objects.all() if f">{r.reference}</a>" in page)


def test_bob_claims_a_request_and_finds_it_under_mine(alice, lagper, bob, dora):
    claimed = journeys.under_review(applicant=alice, dataset=lagper)
    other = journeys.under_review(applicant=alice, dataset=lagper)
    bob_client = client_for(bob)

    response = act(bob_client, claimed, "claim")
    assert response.status_code == 302
    claimed.refresh_from_db()
    assert (claimed.status, claimed.assignee) == (Status.UNDER_REVIEW, bob)
    event = claimed.events.last()
    assert (event.from_status, event.to_status, event.actor, event.transition) == (
        Status.UNDER_REVIEW,
        Status.UNDER_REVIEW,
        bob,
        "request_claim",
    )
    assert queue_references(bob_client, assigned="mine") == [claimed.reference]
    assert queue_references(bob_client, assigned="unassigned") == [other.reference]
    assert queue_references(client_for(dora), assigned="mine") == []


def test_dora_cannot_take_what_bob_claimed_but_bob_can_hand_it_to_her(alice, lagper, bob, dora, charlie):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    request_claim(request=request, reviewer=bob)

    with pytest.raises(TransitionNotAllowed, match="already handled by another reviewer"):
        request_claim(request=request, reviewer=dora)
    with pytest.raises(TransitionNotAllowed, match="does not review LAGPeR"):
        request_assign(request=request, reviewer=bob, assignee=charlie)

    response = act(client_for(bob), request, "assign", {"assign-assignee": dora.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assignee == dora
    assert request.events.last().note == "Assigned to Dora Li (dora@nwpu.example) by bob@nwpu.example."


def test_alice_sees_her_request_is_handled_but_not_by_whom_unless_the_owner_says(alice, lagper, bob, alice_client):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    request_claim(request=request, reviewer=bob)
    url = reverse("requests_app:request_detail", args=[request.reference])

    page = alice_client.get(url).content.decode()
    assert "A reviewer is handling your request." in page
    assert "bob@nwpu.example" not in page

    lagper.show_assignee_to_applicant = True
    lagper.save()
    assert "Claimed by bob@nwpu.example." in alice_client.get(url).content.decode()


def test_a_claim_does_not_restart_the_wait_past_the_promised_turnaround(alice, lagper, bob, clock):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    clock.shift(datetime.timedelta(days=20))
    request_claim(request=request, reviewer=bob)
    # Twenty calendar days are more than the ten promised working days, whenever the run starts.
    assert list(overdue_for_review(now=timezone.now(), datasets=[lagper])) == [request]


def test_queue_rows_flag_the_check_result_the_resubmission_and_who_handles_it(alice, lagper, bob, dora):
    fresh = journeys.under_review(applicant=alice, dataset=lagper)
    corrected = journeys.returned(journeys.under_review(applicant=alice, dataset=lagper), reviewer=bob)
    journeys.signed_copy_sent(journeys.resubmitted(corrected, unit="Vision Lab 2"))
    request_claim(request=fresh, reviewer=dora)

    page = client_for(bob).get(reverse("review:queue")).content.decode()
    rows = {
        ref: page[page.index(f">{ref}</a>") :][:2000].split("</tr>")[0]
        for ref in (fresh.reference, corrected.reference)
    }
    assert "resubmitted" not in rows[fresh.reference] and "resubmitted" in rows[corrected.reference]
    assert "scan checked" in rows[fresh.reference] and "scan checked" in rows[corrected.reference]
    assert "Dora Li" in rows[fresh.reference] and "unassigned" in rows[corrected.reference]


@pytest.mark.parametrize("rows", [3, 30])
def test_the_queue_with_claims_and_flags_costs_the_same_queries_for_3_or_30_requests(
    alice, lagper, bob, dora, rows, django_assert_num_queries
):
    for i in range(rows):
        request = journeys.under_review(applicant=alice, dataset=lagper)
        if i % 3 == 0:
            request_claim(request=request, reviewer=dora if i % 2 else bob)
        if i % 3 == 1:
            journeys.signed_copy_sent(journeys.resubmitted(journeys.returned(request, reviewer=bob), unit=f"Lab {i}"))
    client = client_for(bob)
    # session, user, the reviewer's datasets, the counts aggregate, the page (its flags are subqueries).
    with django_assert_num_queries(5):
        response = client.get(reverse("review:queue"))
    assert response.content.decode().count('class="queue-row') == rows


def test_the_decision_page_highlights_the_corrected_fields_and_offers_canned_reasons(alice, lagper, bob):
    request = journeys.returned(journeys.under_review(applicant=alice, dataset=lagper), reviewer=bob)
    journeys.signed_copy_sent(journeys.resubmitted(request, unit="Vision Lab 2"))

    page = client_for(bob).get(reverse("review:request", args=[request.reference])).content.decode()
    assert page.count('class="table-warning corrected"') == 1
    assert (
        "Highlighted: what the applicant changed in the last correction (Department or unit that will use the data (clause 2))."
        in page
    )
    assert 'data-fills="id_return-reason"' in page and "Unit not named" in page
    assert 'data-fills="id_reject-reason"' in page and "Commercial use" in page
    assert "Note to the applicant (optional; shown in their history)" in page
    assert "Internal remark (never shown to the applicant)" in page


def test_under_the_two_person_rule_bobs_approval_is_a_recommendation_and_doras_approves(
    alice, lagper, bob, dora, django_capture_on_commit_callbacks
):
    lagper.two_person_rule = True
    lagper.save()
    request = journeys.under_review(applicant=alice, dataset=lagper)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = act(client_for(bob), request, "approve", {"approve-expires_on": "", "approve-note": ""})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW
    assert request.events.last().transition == "request_recommend_approval"
    assert mail.outbox == []

    with pytest.raises(TransitionNotAllowed, match="another reviewer of LAGPeR must approve"):
        request_approve(request=request, reviewer=bob, expires_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=dora, expires_at=None)
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert [m.to for m in mail.outbox] == [["alice@uni.example"]]


def test_a_new_signed_copy_after_a_recommendation_needs_a_new_one(alice, lagper, bob, dora):
    lagper.two_person_rule = True
    lagper.save()
    request = journeys.under_review(applicant=alice, dataset=lagper)
    request_approve(request=request, reviewer=bob, expires_at=None)
    journeys.signed_copy_sent(request)

    request_approve(request=request, reviewer=dora, expires_at=None)
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW  # Dora's is now the first approval of the new copy


def test_a_canned_reason_for_an_unknown_decision_is_refused_naming_its_key(db, tmp_path):
    from requests_app.agreement_format.loading import DatasetFileError, load_dataset_file
    from tests.paths import LAGPER_TOML

    path = tmp_path / "lagper.toml"
    path.write_text(LAGPER_TOML.read_text().replace('use = "reject"', 'use = "revoke"'))
    with pytest.raises(DatasetFileError, match=r"canned_reasons\[2\]\.use.*must be .return. or .reject."):
        load_dataset_file(path)


def test_queue_rows_show_what_applicants_typed_as_text_not_markup(alice, lagper, bob):
    journeys.under_review(
        applicant=alice, dataset=lagper, representative_name="<b>Eve</b>", organisation='Lab "A" & <i>B</i>'
    )
    page = client_for(bob).get(reverse("review:queue")).content.decode()
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page and "<b>Eve</b>" not in page
    assert "Lab &quot;A&quot; &amp; &lt;i&gt;B&lt;/i&gt;" in page
