"""Bob reviews LAGPeR: the queue, decisions, the trail. Alice applies; Charlie is a stranger."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.services import delivery_view_record, request_resubmit, request_withdraw
from requests_app.models import Dataset, DeliveryView, LicenseRequest, RequestEvent, ReviewerRemark
from requests_app.review.services import (
    remark_add,
    request_approve,
    request_reject,
    request_return_for_correction,
    request_revoke,
    reviewer_grant,
)
from requests_app.workflow import DecisionInvalid, TransitionNotAllowed
from tests import journeys
from tests.clock import next_weekday, start
from tests.factories import UserFactory
from tests.paths import LAGPER_TOML

Status = LicenseRequest.Status


@pytest.fixture
def bob(lagper):
    """Reviews LAGPeR for its owner."""
    bob = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(bob)
    return bob


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


@pytest.fixture
def otherset(db, tmp_path):
    """A second dataset, with its own reviewer Dora, loaded from a copy of the LAGPeR file."""
    text = LAGPER_TOML.read_text().replace('slug = "lagper"', 'slug = "otherset"')
    text = text.replace('name = "LAGPeR"', 'name = "Otherset"')
    text = text.replace('reference_prefix = "LAGPER"', 'reference_prefix = "OTHER"')
    path = Path(tmp_path) / "otherset.toml"
    path.write_text(text)
    return load_dataset_file(path).dataset


def under_review(dataset, applicant, *, submitted_at=None, **fields) -> LicenseRequest:
    """Submitted (at `submitted_at`, by default now) with its signed copy sent, through the services."""
    with time_machine.travel(submitted_at or timezone.now(), tick=False):
        return journeys.under_review(applicant=applicant, dataset=dataset, **fields)


def act(client, license_request, action, data):
    return client.post(reverse("review:act", args=[license_request.reference, action]), data)


def decision_events(license_request):
    """The reviewers' moves: what happened after the request reached them."""
    events = license_request.events.exclude(actor=license_request.applicant)
    return list(events.values_list("from_status", "to_status", "actor__username"))


# --- Decisions ---------------------------------------------------------------------------------------


def test_bob_approves_and_alice_gets_her_licence_by_email(
    bob_client, alice, lagper, django_capture_on_commit_callbacks
):
    request = under_review(lagper, alice)
    expiry = timezone.localdate() + datetime.timedelta(days=1095)
    page = bob_client.get(reverse("review:request", args=[request.reference]))
    assert f'value="{expiry.isoformat()}"' in page.content.decode()  # the dataset's 1,095 days, editable

    with django_capture_on_commit_callbacks(execute=True):
        response = act(bob_client, request, "approve", {"approve-expires_on": expiry.isoformat(), "approve-note": ""})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert request.approved_at == timezone.now()
    assert request.expires_at.date() == expiry
    assert decision_events(request) == [("under_review", "approved", "bob")]
    [message] = mail.outbox
    assert message.to == ["alice@uni.example"]
    assert message.subject == f"[Licence portal] {request.reference}: your LAGPeR licence is approved"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "Licence ID" in body and request.reference in body
        assert "SeCap: Self-Calibrating" in body
        assert "@inproceedings{wang2025secap" in body
        assert "Research only: no commercial use" in body and "promote a product" in body
        assert "including other units, departments or laboratories of EXAMPLE UNIVERSITY" in body
        assert "http://127.0.0.1:8000" + request.get_absolute_url() in body
        assert f"{expiry.day} {expiry:%b %Y}" in body


def test_an_approval_with_a_past_expiry_is_refused_and_keeps_the_note(bob_client, alice, lagper):
    request = under_review(lagper, alice)
    response = act(
        bob_client,
        request,
        "approve",
        {"approve-expires_on": timezone.localdate().isoformat(), "approve-note": "Checked by phone"},
    )
    assert response.status_code == 200
    assert "Choose a date after today." in response.content.decode()
    assert "Checked by phone" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW


def test_bob_rejects_with_a_reason_that_alice_reads(bob_client, alice, lagper, django_capture_on_commit_callbacks):
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        act(bob_client, request, "reject", {"reject-reason": "The signature is not the representative's."})
    request.refresh_from_db()
    assert request.status == Status.REJECTED
    assert request.decision_reason == "The signature is not the representative's."
    assert decision_events(request) == [("under_review", "rejected", "bob")]
    [message] = mail.outbox
    assert "rejected" in message.subject and request.reference in message.subject
    assert "The signature is not the representative's." in message.body  # plain text is not HTML-escaped
    assert "you may apply again" in message.body
    assert "The signature is not the representative&#x27;s." in message.alternatives[0][0]
    page = client_for(alice).get(request.get_absolute_url()).content.decode()
    assert "Your request was rejected" in page and "representative&#x27;s" in page


def test_a_rejection_without_a_reason_is_refused(bob_client, alice, lagper, django_capture_on_commit_callbacks):
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(bob_client, request, "reject", {"reject-reason": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    with pytest.raises(DecisionInvalid):
        request_reject(request=request, reviewer=None, reason=" \n ")
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW
    assert decision_events(request) == []
    assert mail.outbox == []


def test_approving_a_draft_is_refused(bob, bob_client, alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    assert act(bob_client, draft, "approve", {}).status_code == 404  # a draft is the applicant's own
    with pytest.raises(TransitionNotAllowed):
        request_approve(request=draft, reviewer=bob, expires_at=None)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_deciding_twice_tells_the_second_reviewer_who_decided_first(
    bob_client, alice, lagper, django_capture_on_commit_callbacks
):
    erin = UserFactory(username="erin", email="erin@nwpu.example")
    lagper.reviewers.add(erin)
    request, erin_client = under_review(lagper, alice), client_for(erin)
    with django_capture_on_commit_callbacks(execute=True):
        act(bob_client, request, "approve", {"approve-expires_on": ""})
        response = act(erin_client, request, "reject", {"reject-reason": "Incomplete."})
    assert response.status_code == 302
    page = erin_client.get(response.url).content.decode()
    assert f"is already approved (bob@nwpu.example, {start():%-d %b %Y %H:%M} UTC)" in page
    request.refresh_from_db()
    assert request.status == Status.APPROVED and request.expires_at is None
    assert decision_events(request) == [("under_review", "approved", "bob")]
    assert len(mail.outbox) == 1


def test_no_email_for_a_decision_that_rolled_back(bob, alice, lagper, django_capture_on_commit_callbacks):
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        request_reject(request=request, reviewer=bob, reason="Incomplete.")
        raise RuntimeError("the database went away")
    assert mail.outbox == []
    assert LicenseRequest.objects.get().status == Status.UNDER_REVIEW


def test_revoking_needs_an_approved_licence_and_a_reason(
    bob, bob_client, alice, lagper, django_capture_on_commit_callbacks
):
    request = under_review(lagper, alice)
    with pytest.raises(TransitionNotAllowed):
        request_revoke(request=request, reviewer=bob, reason="Misuse.")
    request_approve(request=request, reviewer=bob, expires_at=None)
    with pytest.raises(DecisionInvalid):
        request_revoke(request=request, reviewer=bob, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        act(bob_client, request, "revoke", {"revoke-reason": "Data shared with a company."})
    request.refresh_from_db()
    assert request.status == Status.REVOKED
    assert decision_events(request) == [("under_review", "approved", "bob"), ("approved", "revoked", "bob")]
    [message] = mail.outbox
    assert "revoked" in message.subject and "Data shared with a company." in message.body


def test_alice_and_charlie_cannot_reach_the_review_pages(alice_client, alice, charlie, bob, lagper):
    request = under_review(lagper, alice)
    charlie_client = client_for(charlie)
    for client in (alice_client, charlie_client):
        for url in (
            reverse("review:queue"),
            reverse("review:request", args=[request.reference]),
            reverse("review:export_requests"),
            reverse("review:export_events"),
        ):
            assert client.get(url).status_code == 404
        assert act(client, request, "approve", {"approve-expires_on": ""}).status_code == 404
        assert act(client, request, "remark", {"remark-text": "hi"}).status_code == 404
    assert Client().get(reverse("review:queue")).status_code == 302  # to the login page
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW
    assert not ReviewerRemark.objects.exists()


def test_a_reviewer_of_another_dataset_cannot_see_or_decide(bob_client, alice, lagper, otherset):
    dora = UserFactory(username="dora", email="dora@other.example")
    otherset.reviewers.add(dora)
    lagper_request = under_review(lagper, alice)
    other_request = under_review(otherset, alice)
    dora_client = client_for(dora)
    assert dora_client.get(reverse("review:request", args=[lagper_request.reference])).status_code == 404
    assert act(dora_client, lagper_request, "reject", {"reject-reason": "No."}).status_code == 404
    queue = dora_client.get(reverse("review:queue")).content.decode()
    assert other_request.reference in queue and lagper_request.reference not in queue
    lagper_request.refresh_from_db()
    assert lagper_request.status == Status.UNDER_REVIEW


def test_a_superuser_reviews_every_dataset(alice, lagper, otherset):
    root = UserFactory(username="root", email="root@portal.example", is_superuser=True, is_staff=True)
    requests = [under_review(lagper, alice), under_review(otherset, alice)]
    queue = client_for(root).get(reverse("review:queue")).content.decode()
    assert all(r.reference in queue for r in requests)


# --- Return for correction ----------------------------------------------------------------------------


def test_returned_request_lets_alice_change_only_the_returned_fields(
    bob_client, alice, lagper, django_capture_on_commit_callbacks
):
    request = under_review(lagper, alice, unit="Vision Lab")
    with django_capture_on_commit_callbacks(execute=True):
        act(
            bob_client,
            request,
            "return",
            {
                "return-returned_fields": ["unit", "research_purpose"],
                "return-reason": "Name the unit as on the letterhead.",
            },
        )
    request.refresh_from_db()
    assert request.status == Status.RETURNED
    assert request.returned_fields == ["unit", "research_purpose"]
    [message] = mail.outbox
    assert "Department or unit that will use the data (clause 2)" in message.body
    assert "Research purpose" in message.body and "Name the unit as on the letterhead." in message.body

    alice_client = client_for(alice)
    detail = alice_client.get(request.get_absolute_url()).content.decode()
    assert "Correct the application" in detail
    form_page = alice_client.get(reverse("requests_app:request_edit", args=[request.reference])).content.decode()
    assert 'name="organisation"' in form_page and "disabled" in form_page
    response = alice_client.post(
        reverse("requests_app:request_edit", args=[request.reference]),
        {
            "unit": "School of Computing, Vision Lab",
            "research_purpose": "Re-identification benchmarks.",
            "organisation": "ANOTHER UNIVERSITY",  # not returned: must be ignored
            "representative_name": "SOMEONE ELSE",
            "submit": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.AWAITING_SIGNATURE
    assert request.unit == "School of Computing, Vision Lab"
    assert request.research_purpose == "Re-identification benchmarks."
    assert request.organisation == "EXAMPLE UNIVERSITY"
    assert request.representative_name == "PROF. LI WEI"
    assert request.returned_fields == []
    assert list(request.issued_agreements.values_list("issue", flat=True)) == [1, 2]  # the old one stays
    assert list(request.events.values_list("from_status", "to_status", "actor__username"))[-2:] == [
        ("under_review", "returned", "bob"),
        ("returned", "awaiting_signature", "alice"),
    ]


def test_the_service_refuses_a_correction_of_a_field_not_returned(bob, alice, lagper):
    request = under_review(lagper, alice)
    request_return_for_correction(request=request, reviewer=bob, fields=["unit"], reason="Unit?")
    with pytest.raises(DecisionInvalid, match="organisation"):
        request_resubmit(request=request, user=alice, fields={"unit": "Lab", "organisation": "X"})
    request.refresh_from_db()
    assert request.status == Status.RETURNED and request.organisation == "EXAMPLE UNIVERSITY"


def test_a_return_needs_fields_and_a_reason(bob, bob_client, alice, lagper):
    request = under_review(lagper, alice)
    response = act(bob_client, request, "return", {"return-reason": "Wrong."})
    body = response.content.decode()
    assert "Tick at least one field: the applicant may change only the ones ticked." in body
    assert "Wrong.</textarea>" in body  # what bob typed is kept
    with pytest.raises(DecisionInvalid):
        request_return_for_correction(request=request, reviewer=bob, fields=["password"], reason="x")
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW


# --- Remarks and delivery -------------------------------------------------------------------------------


def test_remarks_are_for_reviewers_only(bob_client, alice, lagper):
    request = under_review(lagper, alice)
    act(bob_client, request, "remark", {"remark-text": "Called the dean: signature confirmed."})
    review_page = bob_client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert "Called the dean: signature confirmed." in review_page
    assert "Called the dean" not in client_for(alice).get(request.get_absolute_url()).content.decode()


def test_an_active_licensee_sees_delivery_instructions_and_each_view_is_recorded(bob, bob_client, alice, lagper):
    request = under_review(lagper, alice)
    request_approve(request=request, reviewer=bob, expires_at=timezone.now() + datetime.timedelta(days=30))
    alice_client = client_for(alice)
    delivery = reverse("requests_app:delivery_instructions", args=[request.reference])
    page = alice_client.post(delivery, REMOTE_ADDR="198.51.100.4").content.decode()
    assert "the download link is sent to you by the dataset owner" in page
    alice_client.post(delivery)
    assert DeliveryView.objects.filter(request=request, user=alice).count() == 2
    review_page = bob_client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert "198.51.100.4" in review_page


@pytest.mark.parametrize("ending", ["expired", "revoked", "rejected", "withdrawn"])
def test_no_delivery_instructions_once_the_licence_is_not_active(bob, alice, lagper, ending):
    request = under_review(lagper, alice)
    if ending == "rejected":
        request_reject(request=request, reviewer=bob, reason="No.")
    elif ending == "withdrawn":
        request_withdraw(request=request, user=alice)
    else:
        request_approve(request=request, reviewer=bob, expires_at=timezone.now() + datetime.timedelta(days=1))
        if ending == "revoked":
            request_revoke(request=request, reviewer=bob, reason="Misuse.")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        alice_client = client_for(alice)
        page = alice_client.get(request.get_absolute_url()).content.decode()
        shown = alice_client.post(reverse("requests_app:delivery_instructions", args=[request.reference]), follow=True)
    assert "Show the delivery instructions" not in page
    assert "the download link is sent to you" not in shown.content.decode()
    assert not DeliveryView.objects.exists()


def test_looking_at_the_status_page_records_no_view_of_the_instructions(bob, alice, lagper):
    # A HEAD, a GET, a browser's prefetch: none of them is the licensee asking for the instructions.
    request = under_review(lagper, alice)
    request_approve(request=request, reviewer=bob, expires_at=None)
    alice_client = client_for(alice)
    assert alice_client.head(request.get_absolute_url()).status_code == 200
    page = alice_client.get(request.get_absolute_url(), HTTP_SEC_PURPOSE="prefetch").content.decode()
    assert "Show the delivery instructions" in page and "the download link is sent to you" not in page
    assert not DeliveryView.objects.exists()
    assert alice_client.get(reverse("requests_app:delivery_instructions", args=[request.reference])).status_code == 405


# --- The queue ------------------------------------------------------------------------------------------


def test_the_queue_is_oldest_first_with_waiting_days_and_counts(bob, bob_client, alice, lagper, clock):
    # A Wednesday 09:00 less 10 working days is the Wednesday two weeks before: overdue is strictly before.
    wednesday = next_weekday(2)
    clock.move_to(wednesday)
    limit = wednesday - datetime.timedelta(days=14)
    recent = under_review(lagper, alice, submitted_at=limit)
    overdue = under_review(
        lagper, alice, submitted_at=limit - datetime.timedelta(minutes=1), organisation="OLD UNIVERSITY"
    )
    decided = under_review(lagper, alice, submitted_at=wednesday - datetime.timedelta(days=40))
    request_approve(request=decided, reviewer=bob, expires_at=None)
    journeys.draft(applicant=alice, dataset=lagper)
    page = bob_client.get(reverse("review:queue")).content.decode()
    assert page.index(overdue.reference) < page.index(recent.reference)
    assert "14 d / 10 working d promised <strong>overdue</strong>" in page
    assert "14 d / 10 working d promised</td>" in page
    assert 'Under review <span class="badge text-bg-light">2</span>' in page
    assert 'Approved <span class="badge text-bg-light">1</span>' in page
    assert 'All <span class="badge text-bg-light">3</span>' in page  # the draft is not the reviewers' business
    assert 'Waiting longer than promised <span class="badge text-bg-light">1</span>' in page
    assert 'href="/review/publications/lagper/"' in page

    overdue_only = bob_client.get(reverse("review:queue"), {"overdue": "on"}).content.decode()
    assert overdue.reference in overdue_only and recent.reference not in overdue_only
    found = bob_client.get(reverse("review:queue"), {"q": "old univ", "status": ""}).content.decode()
    assert overdue.reference in found and recent.reference not in found
    by_reference = bob_client.get(reverse("review:queue"), {"q": recent.reference.lower()}).content.decode()
    assert recent.reference in by_reference and overdue.reference not in by_reference
    approved = bob_client.get(reverse("review:queue"), {"status": "approved"}).content.decode()
    assert recent.reference not in approved and "decided" in approved


def test_the_queue_filters_by_dataset(alice, lagper, otherset):
    root = UserFactory(username="root", email="root@portal.example", is_superuser=True)
    mine, theirs = under_review(lagper, alice), under_review(otherset, alice)
    page = client_for(root).get(reverse("review:queue"), {"dataset": otherset.pk}).content.decode()
    assert theirs.reference in page and mine.reference not in page
    nonsense = client_for(root).get(reverse("review:queue"), {"dataset": "x", "status": "nonsense", "page": "999"})
    assert nonsense.status_code == 200  # bad filters fall back to defaults; never a 500


def bulk_requests(dataset, applicants: list, n: int) -> list[LicenseRequest]:
    """n requests under review, through the services, the i-th from "ORG i": the query-count tests need rows."""
    return journeys.many(journeys.under_review, n, applicants=applicants, dataset=dataset)


# Rows listed in the queue: each shows its reference as a link's text.
LISTED = ">LAGPER-"


@pytest.mark.parametrize("rows", [3, 9])
def test_the_queue_costs_the_same_queries_for_few_or_many_requests(
    bob, bob_client, alice, charlie, lagper, rows, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr("requests_app.review.views.PAGE_SIZE", 4)  # 9 rows make three pages
    bulk_requests(lagper, [alice, bob, charlie], rows)
    # session, user, the reviewer's datasets (which the nav's Review link reuses), the counts aggregate, the page.
    with django_assert_num_queries(5):
        response = bob_client.get(reverse("review:queue"), {"page": 2 if rows > 4 else 1})
    assert response.status_code == 200
    assert response.content.decode().count(LISTED) == min(rows, 4)


@pytest.mark.parametrize("rows", [2, 6])
def test_the_decision_page_costs_the_same_queries_for_few_or_many_requests(
    bob, bob_client, alice, charlie, lagper, rows, django_assert_num_queries
):
    bulk_requests(lagper, [alice, bob, charlie], rows)
    request = under_review(lagper, alice)
    related = rows // 2  # 1 or 3 of each: an N+1 would show as a different count
    for i in range(related):
        remark_add(request=request, author=bob, text=f"Remark {i}")
        journeys.signed_copy_sent(request)  # a better scan: one more signed copy, one more event
    # session, user, datasets, request + 4 prefetches (events, clauses, remarks, delivery views),
    # the signed-copy panel (issued agreement, signed copies, their files), the reviewer's own email
    # addresses (the conflict-of-interest check), the reviewers one may assign it to, the signals panel
    # (the representative's confirmation, the latest signed copy, earlier requests); the nav reuses the datasets.
    with django_assert_num_queries(16):
        response = bob_client.get(reverse("review:request", args=[request.reference]))
    assert response.status_code == 200

    # Once it is a licence, each time alice was shown the delivery instructions is listed too; the
    # licence's renewal requests are one query more.
    request_approve(request=request, reviewer=bob, expires_at=None)
    for _ in range(related):
        delivery_view_record(request=request, user=alice, ip="198.51.100.4")
    with django_assert_num_queries(17):
        page = bob_client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert page.count("198.51.100.4") == related


# --- CSV ------------------------------------------------------------------------------------------------


def csv_rows(response):
    """The header and the data rows, once the footer has said the file is whole."""
    import csv
    import io

    # Not splitlines(): a cell may hold line breaks (an address, a long text).
    *rows, footer = csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline=""))
    assert footer == [f"# complete: {len(rows) - 1} rows"]
    return rows


def test_the_requests_csv_has_its_columns_honours_filters_and_defuses_formulas(bob, bob_client, alice, lagper):
    shown = under_review(lagper, alice, organisation='=HYPERLINK("http://evil.example")', unit="@SUM(A1)")
    journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    response = bob_client.get(reverse("review:export_requests"), {"status": "under_review"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = csv_rows(response)
    assert header[:4] == ["reference", "dataset", "status", "applicant_email"]
    assert "research_purpose" in header and "expires_at" in header
    assert [row[0] for row in rows] == [shown.reference]
    row = dict(zip(header, rows[0], strict=True))
    assert row["organisation"] == '\'=HYPERLINK("http://evil.example")'
    assert row["unit"] == "'@SUM(A1)"
    assert row["applicant_email"] == "alice@uni.example"


def test_the_requests_csv_has_a_column_for_each_field_the_agreements_declare(
    bob, bob_client, alice, alice_client, lagper
):
    from requests_app.review.views import REQUEST_COLUMNS
    from tests.agreement_format.test_dataset_format import TWO_SIGNERS, filled

    two_signers = load_dataset_file(TWO_SIGNERS).dataset
    reviewer_grant(dataset=two_signers, reviewer=bob)
    alice_client.post(
        reverse("requests_app:apply", args=["two-signers"]), filled(two_signers.current_agreement, student_id="=1+1")
    )
    custom = LicenseRequest.objects.get(dataset=two_signers)
    lagpers = under_review(lagper, alice)

    header, *rows = csv_rows(bob_client.get(reverse("review:export_requests"), {"status": ""}))
    # The well-known columns first, as before; then LAGPeR's own (its Latin spellings), then TwoSig's, in each file's order.
    assert header[: len(REQUEST_COLUMNS)] == REQUEST_COLUMNS
    assert header[len(REQUEST_COLUMNS) :] == [
        "representative_name_romanised",
        "organisation_romanised",
        "student_id",
        "country",
        "orcid",
        "homepage",
        "intended_use",
        "project",
        "supervisor_name",
        "supervisor_consents",
    ]
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    theirs, ours = by_reference[custom.reference], by_reference[lagpers.reference]
    assert (theirs["student_id"], theirs["country"], theirs["orcid"], theirs["supervisor_consents"]) == (
        "'=1+1",
        "CN",
        "0000-0002-1825-0097",
        "yes",
    )
    assert theirs["project"] == "Cross-view matching\nof pedestrians." and theirs["organisation"] == "VISION UNIVERSITY"
    assert ours["student_id"] == ours["supervisor_consents"] == "" and ours["representative_name"] == "PROF. LI WEI"

    # Filtered to one dataset: that dataset's columns only.
    header, *rows = csv_rows(
        bob_client.get(reverse("review:export_requests"), {"status": "", "dataset": two_signers.pk})
    )
    assert header[len(REQUEST_COLUMNS) :][:2] == ["representative_name_romanised", "student_id"]
    assert [row[0] for row in rows] == [custom.reference]


def test_the_audit_csv_lists_every_event_of_the_filtered_requests(bob, bob_client, alice, lagper):
    request = under_review(lagper, alice)
    request_reject(request=request, reviewer=bob, reason="-1 for clarity", ip="192.0.2.1")
    header, *rows = csv_rows(bob_client.get(reverse("review:export_events"), {"status": ""}))
    assert header == ["reference", "at", "actor", "from_status", "to_status", "note", "ip", "user_agent"]
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        (request.reference, "alice@uni.example", "", "draft", "Application started.", "203.0.113.7"),
        (
            request.reference,
            "alice@uni.example",
            "draft",
            "awaiting_signature",
            "Submitted; every clause accepted.",
            "203.0.113.7",
        ),
        (
            request.reference,
            "alice@uni.example",
            "awaiting_signature",
            "under_review",
            "Signed copy uploaded: every page of this agreement.",
            "",
        ),
        (request.reference, "bob@nwpu.example", "under_review", "rejected", "'-1 for clarity", "192.0.2.1"),
    ]
    waiting = under_review(lagper, alice)
    default = csv_rows(bob_client.get(reverse("review:export_events")))  # the queue's default: under review
    assert {row[0] for row in default[1:]} == {waiting.reference}


# --- Reviewers, admin, navigation ------------------------------------------------------------------------


def test_grant_reviewer_makes_a_user_a_reviewer(alice, lagper):
    call_command("grant_reviewer", "ALICE@uni.example", "lagper")
    assert list(lagper.reviewers.all()) == [alice]
    with pytest.raises(CommandError, match="0 users"):
        call_command("grant_reviewer", "nobody@x.example", "lagper")
    with pytest.raises(CommandError, match="No dataset"):
        call_command("grant_reviewer", "alice@uni.example", "nope")


def test_reviewers_see_the_review_link_and_applicants_do_not(bob_client, alice_client, lagper):
    assert 'href="/review/"' in bob_client.get("/").content.decode()
    assert 'href="/review/"' not in alice_client.get("/").content.decode()


def test_the_admin_approves_through_the_service(alice, lagper, django_capture_on_commit_callbacks):
    root = UserFactory(username="root", email="root@portal.example", is_superuser=True, is_staff=True)
    pending = under_review(lagper, alice)
    draft = journeys.draft(applicant=alice, dataset=lagper)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(root).post(
            reverse("admin:requests_app_licenserequest_changelist"),
            {
                "action": "approve_selected",
                "_selected_action": [pending.pk, draft.pk],
            },
        )
    pending.refresh_from_db(), draft.refresh_from_db()
    assert pending.status == Status.APPROVED and pending.expires_at is not None
    assert draft.status == Status.DRAFT
    assert RequestEvent.objects.filter(request=pending, to_status=Status.APPROVED, actor=root).count() == 1
    assert len(mail.outbox) == 1


def test_the_admin_bulk_approve_says_why_a_zero_day_licence_cannot_be_granted_and_changes_nothing(
    alice, lagper, django_capture_on_commit_callbacks
):
    root = UserFactory(username="root", email="root@portal.example", is_superuser=True, is_staff=True)
    pending = under_review(lagper, alice)
    # The admin form refuses 0 days; a dataset file or a shell could still store it.
    Dataset.objects.filter(pk=lagper.pk).update(licence_duration_days=0)
    events = list(pending.events.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(root).post(
            reverse("admin:requests_app_licenserequest_changelist"),
            {"action": "approve_selected", "_selected_action": [pending.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "The licence would already be expired: choose a later expiry date." in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.approved_at, pending.expires_at) == (Status.UNDER_REVIEW, None, None)
    assert list(pending.events.values_list("pk", flat=True)) == events
    assert mail.outbox == []


def test_the_admin_request_list_costs_the_same_queries_for_few_or_many_requests(alice, lagper):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    root = client_for(UserFactory(username="root", email="root@portal.example", is_superuser=True, is_staff=True))
    applicants = get_user_model().objects.bulk_create(
        get_user_model()(username=f"applicant{i}", email=f"applicant{i}@uni.example") for i in range(50)
    )
    counts = []
    for rows in (2, 6):
        bulk_requests(lagper, applicants, rows)
        with CaptureQueriesContext(connection) as queries:
            assert root.get(reverse("admin:requests_app_licenserequest_changelist")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_correction_left_blank_keeps_what_was_typed_and_changes_nothing(bob, alice, lagper):
    request = under_review(lagper, alice, signing_date=timezone.localdate() - datetime.timedelta(days=400))
    request_return_for_correction(request=request, reviewer=bob, fields=["unit", "email"], reason="Unit?")
    response = client_for(alice).post(
        reverse("requests_app:request_edit", args=[request.reference]),
        {
            "unit": "",
            "email": "dean@uni.example",
            "submit": "1",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body and "dean@uni.example" in body
    assert "within a year of today" not in body  # the old date was not returned: not the applicant's to fix
    request.refresh_from_db()
    assert request.status == Status.RETURNED and request.unit == "Vision Lab, School of Computing"


def test_a_decision_email_is_claimed_once_and_a_rerun_sends_nothing(
    bob, alice, lagper, django_capture_on_commit_callbacks
):
    from requests_app import tasks
    from requests_app.models import Notification

    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_reject(request=request, reviewer=bob, reason="Wrong signatory.")
    [notification] = Notification.objects.filter(request=request, kind=Notification.Kind.REQUEST_REJECTED)
    assert notification.sent_at is not None
    [message] = mail.outbox
    assert message.to == ["alice@uni.example"] and "rejected" in message.subject

    assert tasks.send_notifications([notification.pk]) == 0  # the task delivered again
    assert len(mail.outbox) == 1


def test_rejecting_and_revoking_ask_bob_to_confirm_approving_does_not(bob_client, bob, alice, lagper):
    # Both cannot be undone and email the applicant at once; a stray click must not do it.
    request = under_review(lagper, alice)
    page = bob_client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert page.count(' data-confirm="') == 1
    assert "Reject this request? The applicant is emailed the reason" in page

    request_approve(request=request, reviewer=bob, expires_at=None, note="")
    page = bob_client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert page.count(' data-confirm="') == 1
    assert "Revoke this licence? The applicant loses access" in page


def test_the_review_page_of_a_licence_links_to_its_reported_papers(bob_client, bob, alice, lagper):
    request = under_review(lagper, alice)
    papers = f"{reverse('reminders:dataset_publications', args=['lagper'])}?licence={request.reference}"
    assert papers not in bob_client.get(reverse("review:request", args=[request.reference])).content.decode()

    request_approve(request=request, reviewer=bob, expires_at=None, note="")
    page = bob_client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert f'<a href="{papers}">Papers reported under this licence</a>' in page
    assert request.reference in bob_client.get(papers).content.decode()


def test_bob_finds_the_digest_setting_from_his_queue(bob_client):
    # Once switched off, the digest email (its only link) stops coming: the queue must lead back to it.
    queue = bob_client.get(reverse("review:queue")).content.decode()
    assert (
        f'<a href="{reverse("reminders:digest_preference")}">Daily digest of overdue requests: on or off</a>' in queue
    )


# --- Queue search ---------------------------------------------------------------------------------


def search(client, term: str) -> str:
    return client.get(reverse("review:queue"), {"q": term, "status": ""}).content.decode()


@pytest.fixture
def searchable(lagper, alice, charlie):
    """Three requests with what reviewers search by: Latin names in mixed case, CJK, an accent."""
    return {
        "zhang": under_review(
            lagper,
            charlie,
            representative_name="Prof. ZHANG Wei",
            organisation="Northwestern Polytechnical University",
            email="Zhang.Wei@NWPU.example",
        ),
        "cjk": under_review(
            lagper,
            charlie,
            representative_name="李娜",
            organisation="西北工业大学 计算机学院",
            email="lina@nwpu.example",
        ),
        "geneva": under_review(
            lagper,
            alice,
            representative_name="Anne Dupont",
            organisation="Université de Genève",
            email="a.dupont@unige.example",
        ),
    }


@pytest.mark.parametrize("listed", [True, False], ids=["matches listed", "too many to list"])
@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("zhang w", {"zhang"}),  # part of a name, in another case
        ("POLYTECHNICAL univ", {"zhang"}),  # part of an organisation
        ("wei@nwpu", {"zhang"}),  # part of the representative's email
        ("西北工业", {"cjk"}),  # CJK in the organisation
        ("李", {"cjk"}),  # a one-character CJK name
        ("de genève", {"geneva"}),
        ("alice@uni", {"geneva"}),  # the applicant's account email, not typed in the form
        ("NWPU.EXAMPLE", {"zhang", "cjk"}),
        ("100%", set()),  # LIKE wildcards are literal
        ("_", set()),
        ("wei northwestern", set()),  # a term does not run on from one field into the next
    ],
)
def test_the_queue_search_finds_parts_of_names_organisations_and_emails(
    bob_client, searchable, term, expected, listed, monkeypatch
):
    if not listed:
        monkeypatch.setattr("requests_app.review.selectors.SEARCH_LISTED", 0)
    page = search(bob_client, term)
    assert {key for key, request in searchable.items() if request.reference in page} == expected


def test_the_queue_search_folds_accented_capitals_on_postgresql(bob_client, searchable):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's lower() folds ASCII letters only, as its LIKE did before")
    assert searchable["geneva"].reference in search(bob_client, "UNIVERSITÉ DE GENÈVE")


def test_the_queue_search_sees_every_write_path(bob_client, lagper, alice):
    """The searched column is computed by the database: updates and bulk inserts are found too."""
    request = under_review(lagper, alice, organisation="Old Name Institute")
    LicenseRequest.objects.filter(pk=request.pk).update(organisation="Renamed Institute")
    bulk_requests(lagper, [alice], 3)
    assert request.reference in search(bob_client, "renamed inst")
    assert request.reference not in search(bob_client, "old name")
    assert search(bob_client, "org 2").count(LISTED) == 1
    # A bulk insert (an import, a data migration) is computed too: a bare row, no request anyone made.
    LicenseRequest.objects.bulk_create(
        [
            LicenseRequest(
                reference="IMPORT-1",
                applicant=alice,
                dataset=lagper,
                agreement_version=lagper.current_agreement,
                organisation="Bulk Institute",
            )
        ]
    )
    searched = LicenseRequest.objects.filter(reference="IMPORT-1").values_list("search_text", flat=True).get()
    # reference, representative, organisation, unit, email, searchable values
    assert searched == "import-1\n\nbulk institute\n\n\n"


def number_next_request(number: int) -> None:
    """The database numbers the requests (a reference ends in the number): the next one gets `number`."""
    table = LicenseRequest._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, number])
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, number - 1])


def test_a_whole_reference_is_found_exactly_and_a_part_of_one_as_text(bob_client, lagper, alice):
    # Requests number 100001 and 1000010: the first one's reference is a prefix of the second's.
    number_next_request(100001)
    wanted = under_review(lagper, alice)
    number_next_request(1000010)
    longer = under_review(lagper, alice)
    year = timezone.localdate().year
    assert (wanted.reference, longer.reference) == (f"LAGPER-{year}-100001", f"LAGPER-{year}-1000010")
    exact = search(bob_client, f"lagper-{year}-100001")
    assert f">{wanted.reference}<" in exact and f">{longer.reference}<" not in exact
    partial = search(bob_client, f"{year}-10000")
    assert f">{wanted.reference}<" in partial and f">{longer.reference}<" in partial


@pytest.mark.parametrize("listed", [True, False], ids=["matches listed", "too many to list"])
@pytest.mark.parametrize("rows", [3, 12])
def test_a_queue_search_costs_the_same_queries_for_few_or_many_requests(
    bob, bob_client, alice, charlie, lagper, rows, listed, monkeypatch, django_assert_num_queries
):
    if not listed:
        monkeypatch.setattr("requests_app.review.selectors.SEARCH_LISTED", 0)
    monkeypatch.setattr("requests_app.review.views.PAGE_SIZE", 2)  # 12 rows match more than a page
    bulk_requests(lagper, [alice, bob, charlie], rows)
    # As unsearched (5), and one to find the matches among the requests containing "org", the one word
    # of "org 1" long enough for the index; when "org" is in too many to list, one more that asks for "org 1" itself.
    with django_assert_num_queries(6 if listed else 7):
        response = bob_client.get(reverse("review:queue"), {"q": "org 1", "status": ""})
    assert response.status_code == 200
    assert response.content.decode().count(LISTED) == {3: 1, 12: 2}[rows]  # ORG 1; ORG 1, 10 and 11 on pages of 2
