"""Reviewers and staff use a second factor; logins are rate-limited per account; nobody decides their own request."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client
from django.urls import reverse

from requests_app.models import LicenseRequest, SignedCopyFile, SignedCopyView
from requests_app.review.services import request_approve, request_reject, request_return_for_correction, request_revoke
from requests_app.workflow import TransitionNotAllowed
from tests import journeys
from tests.factories import PASSWORD, UserFactory

Status = LicenseRequest.Status
NAT = "198.51.100.20"  # the one address a whole lab comes from


@pytest.fixture
def bob(lagper):
    bob = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(bob)
    return bob


@pytest.fixture
def dora(lagper):
    """A second LAGPeR reviewer."""
    dora = UserFactory(username="dora", email="dora@nwpu.example")
    lagper.reviewers.add(dora)
    return dora


def code_for(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client, user, password=PASSWORD, ip=NAT):
    return client.post(reverse("account_login"), {"login": user.email, "password": password}, REMOTE_ADDR=ip)


# --- Conflicts of interest ---------------------------------------------------------------------------------


def test_a_reviewer_cannot_decide_their_own_application(bob, dora, lagper):
    own = journeys.under_review(applicant=bob, dataset=lagper, email="dean@uni.example")
    events = own.events.count()
    with pytest.raises(TransitionNotAllowed, match="You applied for"):
        request_approve(request=own, reviewer=bob, expires_at=None)
    own.refresh_from_db()
    assert own.status == Status.UNDER_REVIEW and own.events.count() == events
    request_approve(request=own, reviewer=dora, expires_at=None)  # another reviewer may
    with pytest.raises(TransitionNotAllowed, match="You applied for"):
        request_revoke(request=own, reviewer=bob, reason="Never mind.")


def test_a_reviewer_named_as_the_representative_cannot_decide(bob, alice, lagper):
    naming_bob = journeys.under_review(applicant=alice, dataset=lagper, email="BOB@nwpu.example")
    for decide in (
        lambda: request_reject(request=naming_bob, reviewer=bob, reason="No."),
        lambda: request_return_for_correction(request=naming_bob, reviewer=bob, fields=["unit"], reason="Which lab?"),
    ):
        with pytest.raises(TransitionNotAllowed, match="names you"):
            decide()
    naming_bob.refresh_from_db()
    assert naming_bob.status == Status.UNDER_REVIEW


def test_the_review_page_hides_the_decisions_from_a_conflicted_reviewer(bob, dora, lagper):
    own = journeys.under_review(applicant=bob, dataset=lagper)
    url = reverse("review:request", args=[own.reference])
    bob_client, dora_client = Client(), Client()
    bob_client.force_login(bob)
    dora_client.force_login(dora)

    page = bob_client.get(url).content.decode()
    assert "You applied for" in page
    assert reverse("review:act", args=[own.reference, "approve"]) not in page
    assert reverse("review:act", args=[own.reference, "approve"]) in dora_client.get(url).content.decode()

    # Posting anyway changes nothing and says why.
    response = bob_client.post(
        reverse("review:act", args=[own.reference, "approve"]), {"approve-note": ""}, follow=True
    )
    assert "You applied for" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Status.UNDER_REVIEW


# --- Rate limits ---------------------------------------------------------------------------------------------


def test_one_accounts_lockout_does_not_lock_out_the_lab_behind_the_same_address(alice, charlie):
    attacker = Client()
    for _ in range(5):
        assert sign_in(attacker, alice, password="wrong").status_code == 200
    # Alice's account is locked for a while, even with the right password ...
    alice_client = Client()
    response = sign_in(alice_client, alice)
    assert response.status_code in (200, 429) and "_auth_user_id" not in alice_client.session
    assert "Too many failed login attempts" in response.content.decode()
    # ... but Charlie, from the same address, signs in.
    charlie_client = Client()
    assert sign_in(charlie_client, charlie).status_code == 302
    assert charlie_client.get(reverse("requests_app:my_requests")).status_code == 200


def configured_limit(action: str, per: str) -> int:
    """The count in the configured limit of `action` per key or ip: 60 for '5/5m/key,60/10m/ip' per ip."""
    [rate] = [r for r in settings.ACCOUNT_RATE_LIMITS[action].split(",") if r.endswith(f"/{per}")]
    return int(rate.split("/")[0])


def test_one_address_trying_many_accounts_is_refused_once_it_passes_the_per_address_limit(db, clock):
    per_account, per_address = configured_limit("login_failed", "key"), configured_limit("login_failed", "ip")
    posts_a_minute = configured_limit("login", "ip")  # any login form sent, per minute
    # Each account stays under its own limit, and no minute under the limit on posts, so that only
    # the count of failures from the address can refuse.
    tries_each = per_account - 1
    accounts = [
        UserFactory(username=f"lab{i}", email=f"lab{i}@nwpu.example") for i in range(-(-per_address // tries_each) + 1)
    ]
    *tried, untouched = accounts
    failures = 0
    for account in tried:
        for _ in range(min(tries_each, per_address - failures)):
            assert sign_in(Client(), account, password="wrong").status_code == 200, failures
            failures += 1
            if failures % (posts_a_minute - 1) == 0:
                clock.shift(61)
    assert failures == per_address

    refused = Client()
    response = sign_in(refused, untouched)
    assert response.status_code in (200, 429) and "_auth_user_id" not in refused.session
    assert "Too many failed login attempts" in response.content.decode()
    # The limit is the address's: the same account from elsewhere signs in.
    elsewhere = Client()
    assert sign_in(elsewhere, untouched, ip="192.0.2.200").status_code == 302
    assert "_auth_user_id" in elsewhere.session


def test_thirty_wrong_passwords_do_not_let_the_right_one_through(alice):
    client = Client()
    for _ in range(30):
        sign_in(client, alice, password="wrong", ip="203.0.113.77")
    response = sign_in(client, alice, ip="203.0.113.77")
    assert response.status_code != 302
    assert client.get(reverse("requests_app:my_requests")).status_code == 302  # still signed out


def test_the_admin_login_is_allauths_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")


# --- Second factor -------------------------------------------------------------------------------------------


@pytest.fixture
def second_factor_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


# Transactional: allauth reports the new authenticator on commit, as it does in production.
@pytest.mark.django_db(transaction=True)
def test_a_reviewer_without_a_second_factor_is_sent_to_set_one_up(second_factor_required, bob, alice):
    client = Client()
    sign_in(client, bob)
    response = client.get(reverse("review:queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))

    # Setting up the authenticator app proves it in this session: the queue opens.
    # allauth asks for the password again before a second factor is added.
    reauthenticate = client.get(response.url)
    assert reauthenticate.url.startswith(reverse("account_reauthenticate"))
    assert client.post(reauthenticate.url, {"password": PASSWORD}).url == response.url
    assert client.get(response.url).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    activated = client.post(response.url, {"code": code_for(secret)})
    assert activated.status_code == 302, activated.content.decode()[:2000]
    assert Authenticator.objects.filter(user=bob, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("review:queue")).status_code == 200


def test_a_researcher_is_not_asked_for_a_second_factor(second_factor_required, alice):
    client = Client()
    sign_in(client, alice)
    assert client.get(reverse("requests_app:my_requests")).status_code == 200


def test_staff_without_a_second_factor_do_not_reach_the_admin(second_factor_required, db):
    admin = UserFactory(username="root", email="root@nwpu.example", is_staff=True, is_superuser=True)
    client = Client()
    sign_in(client, admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_activate_totp"))


def test_a_reviewer_with_a_second_factor_signs_in_with_it(second_factor_required, bob):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(bob, secret)
    client = Client()
    response = sign_in(client, bob)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_authenticate"))
    assert client.get(reverse("review:queue")).status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    assert response.status_code == 302
    assert client.get(reverse("review:queue")).status_code == 200


def test_a_session_that_skipped_the_second_factor_is_asked_for_it(second_factor_required, bob):
    TOTP.activate(bob, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(bob)
    response = client.get(reverse("review:queue"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_reauthenticate"))


def test_a_reviewer_or_superuser_with_only_a_password_gets_no_one_elses_documents(
    second_factor_required, bob, alice, lagper
):
    alices = journeys.under_review(applicant=alice, dataset=lagper)
    [stored] = SignedCopyFile.objects.filter(signed_copy__request=alices)
    documents = [
        reverse("requests_app:agreement_pdf", args=[alices.reference]),
        reverse("requests_app:signed_copy_file", args=[alices.reference, stored.pk]),
        reverse("review:request", args=[alices.reference]),
    ]
    root = UserFactory(username="root", email="root@nwpu.example", is_staff=True, is_superuser=True)
    for insider in (bob, root):
        password_only = Client()
        assert sign_in(password_only, insider).status_code == 302
        for url in documents:
            response = password_only.get(url)
            assert response.status_code == 302, (insider, url)
            assert response.url.startswith(reverse("mfa_activate_totp"))
    assert not SignedCopyView.objects.exists(), "nobody looked at Alice's signed copy"

    # Past the second factor, the same links open for Bob.
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(bob, secret)
    client = Client()
    sign_in(client, bob)
    assert client.post(reverse("mfa_authenticate"), {"code": code_for(secret)}).status_code == 302
    assert [client.get(url).status_code for url in documents] == [200, 200, 200]
    assert SignedCopyView.objects.get().viewer == bob


def test_an_applicant_with_only_a_password_gets_her_own_documents(second_factor_required, alice, lagper):
    alices = journeys.under_review(applicant=alice, dataset=lagper)
    [stored] = SignedCopyFile.objects.filter(signed_copy__request=alices)
    client = Client()
    sign_in(client, alice)
    pdf = client.get(reverse("requests_app:agreement_pdf", args=[alices.reference]))
    copy = client.get(reverse("requests_app:signed_copy_file", args=[alices.reference, stored.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert copy.status_code == 200
    assert client.get(reverse("requests_app:request_detail", args=[alices.reference])).status_code == 200


@pytest.fixture
def root_with_an_app(db):
    """A superuser with an authenticator app and the recovery codes allauth gives with it."""
    root = UserFactory(username="root", email="root@nwpu.example", is_staff=True, is_superuser=True)
    TOTP.activate(root, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(root)
    return root


def test_staff_sign_in_with_a_recovery_code_once(second_factor_required, root_with_an_app):
    code = RecoveryCodes.activate(root_with_an_app).get_unused_codes()[0]
    client = Client()
    assert sign_in(client, root_with_an_app).url.startswith(reverse("mfa_authenticate"))
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert code not in RecoveryCodes.activate(root_with_an_app).get_unused_codes()

    # The same code a second time is refused: the password alone does not sign in.
    again = Client()
    sign_in(again, root_with_an_app)
    refused = again.post(reverse("mfa_authenticate"), {"code": code})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    assert "_auth_user_id" not in again.session
    assert again.get(reverse("admin:index")).status_code == 302


def test_staff_past_the_second_factor_can_open_the_security_key_page(second_factor_required, root_with_an_app):
    client = Client()
    sign_in(client, root_with_an_app)
    client.post(reverse("mfa_authenticate"), {"code": code_for("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")})
    reauthenticate = client.get(reverse("mfa_add_webauthn"))  # allauth asks for the password before adding a key
    assert reauthenticate.url.startswith(reverse("account_reauthenticate"))
    assert client.post(reauthenticate.url, {"password": PASSWORD}).url == reverse("mfa_add_webauthn")
    page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == 200
    html = page.content.decode()
    # allauth's WebAuthn script is a static file and its data JSON, so the CSP (no inline script) lets it run.
    assert 'src="/static/mfa/js/webauthn.js"' in html
    assert 'id="mfa_webauthn_add"' in html
    inline = [tag for tag in html.split("<script")[1:] if "src=" not in tag.split(">")[0]]
    assert all('type="application/json"' in tag.split(">")[0] for tag in inline)
