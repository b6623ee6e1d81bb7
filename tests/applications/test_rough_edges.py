"""What a new user hit in the browser: the Apply intent through sign-up, a second application, the form, verify."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from requests_app.review.selectors import licence_default_expiry
from requests_app.review.services import request_revoke
from tests import journeys
from tests.factories import UserFactory

APPLY = "/datasets/lagper/apply/"
PASSWORD = "xk3#Lp9!qwZ-long"


def test_the_apply_intent_survives_sign_up_and_verification_in_another_browser(client, lagper):
    login = client.get(client.get(APPLY)["Location"]).content.decode()
    assert f'href="/accounts/signup/?next={APPLY.replace("/", "%2F")}"' in login

    client.post(
        f"/accounts/signup/?next={APPLY}",
        {
            "email": "erin@uni.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": APPLY,
        },
    )
    link = re.search(r"https?://\S+/confirm-email/\S+", mail.outbox[-1].body).group()
    assert link.endswith("?next=%2Fdatasets%2Flagper%2Fapply%2F")

    phone = Client()  # the email opened elsewhere
    confirmation = re.sub(r"https?://[^/]+", "", link)
    page = phone.get(confirmation).content.decode()
    assert f'name="next" value="{APPLY}"' in page
    assert phone.post(confirmation, {"next": APPLY})["Location"] == APPLY


def test_a_foreign_next_is_not_carried_into_the_confirmation_link(client, lagper):
    client.post(
        "/accounts/signup/",
        {
            "email": "erin@uni.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert "next=" not in mail.outbox[-1].body


def test_signing_up_from_a_dataset_page_comes_back_to_it(client, lagper):
    page = client.get(reverse("requests_app:dataset_detail", args=["lagper"])).content.decode()
    assert 'href="/accounts/signup/?next=/datasets/lagper/"' in page
    assert 'href="/accounts/login/?next=/datasets/lagper/"' in page


def test_alice_with_an_active_licence_sees_it_instead_of_a_new_form(alice, alice_client, lagper):
    bob = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(bob)
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)

    response = alice_client.get(APPLY, follow=True)
    assert response.redirect_chain == [(licence.get_absolute_url(), 302)]
    assert f"You already hold an active LAGPeR licence, {licence.reference}." in response.content.decode()


def test_the_form_marks_what_submitting_needs_before_the_first_try(alice_client, lagper):
    page = alice_client.get(APPLY).content.decode()
    assert "Fields marked * are needed to submit" in page
    assert re.search(r"Department or unit that will use the data \(clause 2\) \*", page)
    assert page.count('aria-required="true"') >= 5
    assert "<script>" not in page  # helpers are static files: a CSP can forbid inline script
    assert '<script src="/static/portal.js"></script>' in page


def test_the_verify_page_of_a_revoked_licence_says_when_it_was_revoked(alice, lagper, client, clock):
    import datetime

    bob = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(bob)
    licence = journeys.approved(
        applicant=alice,
        dataset=lagper,
        reviewer=bob,
        expires_at=licence_default_expiry(dataset=lagper),
    )
    clock.shift(datetime.timedelta(days=40))
    request_revoke(request=licence, reviewer=bob, reason="Shared outside the unit.")

    page = client.get(reverse("requests_app:verify", args=[licence.token])).content.decode()
    revoked_on = licence.decided_at.strftime("%-d %b %Y")
    assert f"Revoked on {revoked_on}: this licence is no longer in force." in page
    assert "Expires" not in page


def test_earlier_uploads_fold_away_under_the_current_one(alice, alice_client, lagper):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    for _ in range(4):
        journeys.signed_copy_sent(request)

    page = alice_client.get(reverse("requests_app:request_detail", args=[request.reference])).content.decode()
    current, earlier = page.split('<details class="earlier-uploads small">')
    assert current.count("(current)") == 1
    assert "<summary>Earlier uploads (3)</summary>" in earlier
    assert earlier.count('<li class="mb-2">') == 3 and "</details>" in earlier
