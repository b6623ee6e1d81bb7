"""Alice follows her request in every state it can be in; she withdraws it only before a decision.
Charlie, a stranger, gets 404 wherever her request is concerned.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from requests_app.models import LicenseRequest
from tests import journeys
from tests.factories import LicenseRequestFactory, UserFactory

Status = LicenseRequest.Status
DECIDED = [Status.APPROVED, Status.REJECTED, Status.REVOKED, Status.EXPIRED, Status.WITHDRAWN]


# What the status page tells alice to do next, in each state, and whether she may still withdraw.
NEXT_STEP = {
    Status.DRAFT: ("Your application is a draft: finish it and submit it.", True),
    Status.AWAITING_SIGNATURE: (
        "have it signed by your institution&#x27;s authorized representative, and upload the signed copy",
        True,
    ),
    Status.UNDER_REVIEW: ("is reviewing your signed agreement; the promised turnaround is 10 working days", True),
    Status.RETURNED: ("The reviewer returned your request for correction: “Unit missing.”", True),
    Status.APPROVED: ("Your licence is active. Remember: research use only, no redistribution", False),
    Status.REJECTED: ("Your request was rejected: “Unit missing.”. You may apply again.", False),
    Status.REVOKED: ("Your licence was revoked: “Unit missing.”", False),
    Status.EXPIRED: ("Your licence has expired. Apply again to renew it.", False),
    Status.WITHDRAWN: ("This request was withdrawn. You may apply again at any time.", False),
}


# How the status page names each state.
LABEL = {
    Status.DRAFT: "Draft",
    Status.AWAITING_SIGNATURE: "Awaiting signed agreement",
    Status.UNDER_REVIEW: "Under review",
    Status.RETURNED: "Returned for correction",
    Status.APPROVED: "Approved",
    Status.REJECTED: "Rejected",
    Status.REVOKED: "Revoked",
    Status.EXPIRED: "Expired",
    Status.WITHDRAWN: "Withdrawn",
}


def test_every_status_has_its_next_step_written_down():
    assert set(NEXT_STEP) == set(LABEL) == set(Status.values)


@pytest.mark.parametrize("status", Status.values)
def test_the_status_page_says_what_happens_next_in_every_state(alice_client, alice, bob, lagper, status):
    request = journeys.in_status(status, applicant=alice, dataset=lagper, reviewer=bob)
    body = alice_client.get(request.get_absolute_url()).content.decode()
    next_step, withdrawable = NEXT_STEP[status]
    assert LABEL[status] in body
    assert next_step in " ".join(body.split("What happens next.</strong>")[1].split("</div>")[0].split())
    assert ("Withdraw this request" in body) is withdrawable


@pytest.mark.parametrize("status", DECIDED)
def test_alice_cannot_withdraw_after_a_decision(alice_client, alice, bob, lagper, status):
    request = journeys.in_status(status, applicant=alice, dataset=lagper, reviewer=bob)
    events = request.events.count()
    response = alice_client.post(reverse("requests_app:request_withdraw", args=[request.reference]), follow=True)
    request.refresh_from_db()
    assert request.status == status
    assert request.events.count() == events
    assert f"{request.reference} is already" in response.content.decode()


def test_charlie_cannot_see_or_continue_alices_draft(client, charlie, alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    client.force_login(charlie)
    edit_url = reverse("requests_app:request_edit", args=[draft.reference])
    assert client.get(edit_url).status_code == 404
    assert client.post(edit_url, {"unit": "Charlie's lab", "save": "Save"}).status_code == 404
    draft.refresh_from_db()
    assert draft.unit == "Vision Lab, School of Computing"
    assert draft.reference not in client.get(reverse("requests_app:my_requests")).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    for url in (
        request.get_absolute_url(),
        reverse("requests_app:my_requests"),
        reverse("requests_app:apply", args=["lagper"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_charlie_lands_on_a_portal_page_with_a_way_back_when_he_tries_alices_request(client, charlie, alice, lagper):
    request = LicenseRequestFactory(dataset=lagper, applicant=alice)
    client.force_login(charlie)

    response = client.get(request.get_absolute_url())

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert f'href="{reverse("requests_app:my_requests")}"' in page
    assert request.reference not in page and alice.email not in page


def test_a_server_error_page_keeps_the_portal_layout_and_a_way_back(client, db, settings):
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "Licence portal" in page
    assert f'href="{reverse("requests_app:dataset_list")}"' in page


def test_the_review_link_is_shown_to_reviewers_only(client, alice, bob, lagper):
    review_link = f'href="{reverse("review:queue")}"'
    dataset_list = reverse("requests_app:dataset_list")
    assert review_link not in client.get(dataset_list).content.decode()
    client.force_login(alice)
    assert review_link not in client.get(dataset_list).content.decode()
    client.force_login(bob)
    assert review_link in client.get(dataset_list).content.decode()
    assert review_link in client.get(reverse("review:queue")).content.decode()  # from the datasets found there
    client.force_login(UserFactory(username="root", email="root@portal.example", is_superuser=True))
    assert review_link in client.get(dataset_list).content.decode()
