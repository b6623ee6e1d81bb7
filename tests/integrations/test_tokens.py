"""Alice downloads a signed token of her licence; the owner's server checks it with the published key."""

import datetime
import re
from pathlib import Path

import jwt
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import LicenseRequest
from requests_app.review.selectors import licence_default_expiry
from requests_app.review.services import request_revoke
from tests import journeys

Status = LicenseRequest.Status


@pytest.fixture(scope="session")
def _key_file(tmp_path_factory):
    return tmp_path_factory.mktemp("licence-token") / "key.pem"


@pytest.fixture(autouse=True)
def token_key(settings, _key_file):
    settings.LICENCE_TOKEN_KEY_FILE = _key_file
    settings.LICENCE_TOKEN_GENERATE_KEY = True
    return _key_file


@pytest.fixture
def licence(alice, bob, lagper):
    return journeys.approved(
        applicant=alice, dataset=lagper, reviewer=bob, expires_at=licence_default_expiry(dataset=lagper)
    )


def download(user, licence):
    client = Client()
    client.force_login(user)
    return client.get(reverse("licence_token", args=[licence.reference]))


def verify(token: str) -> dict:
    """What a download server does, with nothing but the published key set and the revocation list."""
    keys = jwt.PyJWKSet.from_dict(Client().get("/.well-known/jwks.json").json())
    key = next(k for k in keys.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(
        token, key, algorithms=["RS256"], issuer="http://127.0.0.1:8000", options={"require": ["exp", "sub"]}
    )
    listed = Client().get("/api/v1/revocations/").json()
    if claims["licence"] in listed["revoked"]:
        raise PermissionError(f"{claims['licence']} was revoked")
    if claims["licence"] in listed["reacceptance_needed"]:
        raise PermissionError(f"{claims['licence']} waits for the changed agreement to be accepted")
    return claims


def test_alices_token_verifies_with_the_published_key(alice, licence, lagper, settings):
    response = download(alice, licence)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwt"
    assert response["Content-Disposition"] == f'attachment; filename="{licence.reference}.jwt"'
    claims = verify(response.content.decode())
    assert claims["licence"] == licence.reference
    assert claims["dataset"] == "lagper"
    assert claims["sub"] == f"http://127.0.0.1:8000/users/{alice.pk}"
    # A year at most (the setting), so that a lost token does not open the data for the licence's 3 years.
    assert settings.LICENCE_TOKEN_MAX_DAYS == 365
    assert claims["exp"] == int((timezone.now() + datetime.timedelta(days=365)).timestamp())
    assert claims["ga4gh_visa_v1"]["type"] == "ControlledAccessGrants"
    assert claims["ga4gh_visa_v1"]["asserted"] == int(licence.approved_at.timestamp())


README = Path(__file__).resolve().parents[2] / "README.md"
README_PORTAL = '"https://licences.example.org"'


def readme_verifier(portal: str) -> dict:
    """The README's verifier, run as written but for the portal's address: its names, as a module would have them."""
    [code] = [block for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S) if "PyJWKClient" in block]
    assert code.count(README_PORTAL) == 1
    names: dict = {}
    exec(compile(code.replace(README_PORTAL, repr(portal)), str(README), "exec"), names)
    return names


def test_the_readmes_verifier_accepts_alices_token_from_a_live_portal_and_refuses_it_once_revoked(
    live_server, settings, alice, bob, lagper
):
    settings.SITE_URL = live_server.url  # the issuer the README's verifier expects is the portal it asks
    licence = journeys.approved(
        applicant=alice, dataset=lagper, reviewer=bob, expires_at=licence_default_expiry(dataset=lagper)
    )
    token = download(alice, licence).content.decode()
    licence_of = readme_verifier(live_server.url)["licence_of"]

    claims = licence_of(token, "lagper")
    assert (claims["licence"], claims["sub"]) == (licence.reference, f"{live_server.url}/users/{alice.pk}")
    with pytest.raises(PermissionError, match="not an active otherset licence"):
        licence_of(token, "otherset")
    request_revoke(request=licence, reviewer=bob, reason="Redistributed.")
    with pytest.raises(PermissionError, match=f"{licence.reference}: not an active lagper licence"):
        licence_of(token, "lagper")


def test_the_key_set_publishes_only_public_parts(token_key):
    [key] = Client().get("/.well-known/jwks.json").json()["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "use", "alg"}
    assert key["alg"] == "RS256"
    assert token_key.stat().st_mode & 0o077 == 0  # the generated private key is its owner's alone


def test_a_token_signed_with_another_key_is_refused(alice, licence):
    from cryptography.hazmat.primitives.asymmetric import rsa

    claims = jwt.decode(download(alice, licence).content, options={"verify_signature": False})
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(download(alice, licence).content)["kid"]},
    )
    with pytest.raises(jwt.InvalidSignatureError):
        verify(forged)


def test_after_revocation_the_token_is_listed_and_refused(alice, bob, licence):
    token = download(alice, licence).content.decode()
    assert verify(token)["licence"] == licence.reference
    request_revoke(request=licence, reviewer=bob, reason="Redistributed.")
    assert licence.reference in Client().get("/api/v1/revocations/").json()["revoked"]
    with pytest.raises(PermissionError, match="revoked"):
        verify(token)
    assert download(alice, licence).status_code == 404  # no new token either


def test_while_alice_must_accept_a_changed_agreement_her_token_is_refused_and_no_new_one_is_issued(
    alice,
    licence,
    lagper,
    tmp_path,
):
    token = download(alice, licence).content.decode()
    journeys.agreement_changed(lagper, tmp_path)

    listed = Client().get("/api/v1/revocations/").json()
    assert listed["reacceptance_needed"] == [licence.reference] and listed["revoked"] == []
    with pytest.raises(PermissionError, match="changed agreement"):
        verify(token)
    client = Client()
    client.force_login(alice)
    response = client.get(reverse("licence_token", args=[licence.reference]), follow=True)
    assert response.redirect_chain == [(licence.get_absolute_url(), 302)]
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"Accept the changed agreement below first: {licence.reference} has a licence token again" in page
    assert reverse("licence_token", args=[licence.reference]) not in page  # no link to one either

    journeys.reaccepted(licence)
    assert Client().get("/api/v1/revocations/").json()["reacceptance_needed"] == []
    assert verify(token)["licence"] == licence.reference  # good again, as is a new one
    assert verify(download(alice, licence).content.decode())["licence"] == licence.reference


def test_once_alice_reaccepts_only_charlie_who_has_not_yet_is_listed(alice, charlie, bob, licence, lagper, tmp_path):
    charlies = journeys.approved(applicant=charlie, dataset=lagper, reviewer=bob)
    new_version = journeys.agreement_changed(lagper, tmp_path)
    journeys.reaccepted(licence)
    assert charlies.agreement_version != new_version
    assert Client().get("/api/v1/revocations/").json()["reacceptance_needed"] == [charlies.reference]
    assert verify(download(alice, licence).content.decode())["licence"] == licence.reference


def test_a_token_never_outlives_the_licence(alice, licence, clock, settings):
    settings.LICENCE_TOKEN_MAX_DAYS = 5000
    token = download(alice, licence).content.decode()
    clock.move_to(licence.expires_at + datetime.timedelta(seconds=1))
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(token)


def test_a_licence_without_expiry_gets_a_token_for_the_configured_days(alice, bob, lagper, settings):
    request = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob, expires_at=None)
    claims = verify(download(alice, request).content.decode())
    assert claims["exp"] == int((timezone.now() + datetime.timedelta(days=settings.LICENCE_TOKEN_MAX_DAYS)).timestamp())


def test_only_the_licensee_gets_a_token_and_only_for_an_active_licence(alice, charlie, licence, lagper):
    assert download(charlie, licence).status_code == 404
    waiting = journeys.under_review(applicant=alice, dataset=lagper)
    assert download(alice, waiting).status_code == 404
    assert Client().get(reverse("licence_token", args=[licence.reference])).status_code == 302  # sign in first


def test_the_request_page_links_the_token_for_an_active_licensee(alice, licence):
    client = Client()
    client.force_login(alice)
    page = client.get(licence.get_absolute_url()).content.decode()
    assert reverse("licence_token", args=[licence.reference]) in page
