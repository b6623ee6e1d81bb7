"""Erin is new: she signs up with her email, proves she owns it, applies for LAGPeR and follows her
request. Accounts use email as the login; nobody applies before verifying it.
"""

import re

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from requests_app.models import LicenseRequest
from tests.applications.test_application import application_data
from tests.factories import PASSWORD, UserFactory

ERIN = "erin@lab.example"
NEW_PASSWORD = "a different horse battery staple"


def link_in(message) -> str:
    """The path of the one portal link in an email."""
    urls = re.findall(r"https?://testserver(/\S+)", message.body)
    assert len(urls) == 1, message.body
    return urls[0]


def sign_up(client, email=ERIN):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_erin_signs_up_verifies_applies_and_follows_her_request(client, lagper):
    response = sign_up(client)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    erin = get_user_model().objects.get(email=ERIN)
    assert not EmailAddress.objects.get(user=erin).verified

    # Until she verifies she is not signed in, so the apply page sends her to sign in.
    apply_url = reverse("requests_app:apply", args=["lagper"])
    assert client.get(apply_url).url == f"{reverse('account_login')}?next={apply_url}"

    [verification, *_] = mail.outbox
    assert verification.to == [ERIN]
    assert verification.subject.startswith("[Licence portal] ")
    confirm_url = link_in(verification)
    assert "Confirm" in client.get(confirm_url).content.decode()
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=erin).verified

    # Confirming logged her in; she applies.
    response = client.post(
        reverse("requests_app:apply", args=["lagper"]),
        application_data(lagper.current_agreement, email=ERIN),
    )
    request = LicenseRequest.objects.get(applicant=erin)
    assert response.url == request.get_absolute_url()

    page = client.get(request.get_absolute_url()).content.decode()
    assert request.reference in page
    assert re.fullmatch(rf"LAGPER-{timezone.localdate().year}-\d{{6}}", request.reference)
    assert "Awaiting signed agreement" in page
    assert "Application started." in page and "Submitted; every clause accepted." in page
    assert request.reference in client.get(reverse("requests_app:my_requests")).content.decode()


def test_email_is_the_login(client, alice):
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("requests_app:my_requests")).status_code == 200


def test_a_wrong_password_is_refused(client, alice):
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert client.get(reverse("requests_app:my_requests")).status_code == 302


def test_a_second_account_with_the_same_email_is_not_created_nor_revealed(client, alice):
    response = sign_up(client, email=alice.email)
    # The page looks like any signup (no one learns who has an account); the owner gets told by email.
    assert response.url == reverse("account_email_verification_sent")
    [notice] = mail.outbox
    assert notice.to == [alice.email]
    assert "already" in notice.body
    assert get_user_model().objects.filter(email=alice.email).count() == 1


def test_alice_resets_her_password_by_email(client, alice):
    response = client.post(reverse("account_reset_password"), {"email": alice.email})
    assert response.status_code == 302
    [reset] = mail.outbox
    assert reset.to == [alice.email]

    response = client.get(link_in(reset))
    # allauth moves the key out of the URL before showing the form.
    set_password_url = response.url
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    assert not client.login(username=alice.username, password=PASSWORD)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("requests_app:my_requests")).status_code == 200


def test_a_reset_for_an_unknown_address_sends_no_link(client, db):
    client.post(reverse("account_reset_password"), {"email": "nobody@nowhere.example"})
    assert all("password/reset/key" not in message.body for message in mail.outbox)


def test_alice_signs_out(alice_client):
    response = alice_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert alice_client.get(reverse("requests_app:my_requests")).status_code == 302


def test_alice_adds_an_email_address_and_must_verify_it(alice_client, alice):
    response = alice_client.post(reverse("account_email"), {"email": "alice@new.example", "action_add": ""})
    assert response.status_code == 302
    [verification] = mail.outbox
    assert verification.to == ["alice@new.example"]
    assert not EmailAddress.objects.get(email="alice@new.example").verified


def test_erin_cannot_sign_in_before_verifying_and_gets_a_new_link(client, lagper, clock):
    sign_up(client)
    mail.outbox.clear()
    clock.shift(600)  # allauth re-sends a verification email at most every few minutes
    response = client.post(reverse("account_login"), {"login": ERIN, "password": PASSWORD})
    assert response.url == reverse("account_email_verification_sent")
    [verification] = mail.outbox
    assert "confirm-email" in link_in(verification)
    assert client.get(reverse("requests_app:my_requests")).status_code == 302


def test_two_people_sign_up_one_after_the_other_and_are_named_by_their_email(client, lagper):
    # Every account once got the same blank username, so the second signup was a 500 on its unique index.
    assert sign_up(client, "frank@lab.example").status_code == 302
    client.logout()
    assert sign_up(client, ERIN).status_code == 302
    users = get_user_model().objects.filter(email__in=[ERIN, "frank@lab.example"])
    assert len({user.username for user in users}) == 2

    verification = mail.outbox[-1]
    assert ERIN in verification.body
    assert "user user" not in verification.body


def test_bob_lands_on_his_review_queue_and_alice_on_her_requests(client, alice, lagper):
    bob = UserFactory(email="bob@nwpu.example")
    lagper.reviewers.add(bob)

    def sign_in(user, **query):
        url = reverse("account_login") + (f"?next={query['next']}" if query else "")
        response = client.post(url, {"login": user.email, "password": PASSWORD})
        client.logout()
        return response.url

    assert sign_in(bob) == reverse("review:queue")
    assert sign_in(alice) == reverse("requests_app:my_requests")
    # Where someone was going still wins.
    assert sign_in(bob, next="/requests/") == "/requests/"
