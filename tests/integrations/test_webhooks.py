"""Bob registers the owner's URL; every decision on LAGPeR is POSTed there, signed."""

import base64
import datetime
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.applications.services import request_submit, request_withdraw
from requests_app.integrations import webhooks
from requests_app.models import LicenseRequest, Webhook, WebhookDelivery
from requests_app.review.services import request_approve, request_reject, request_revoke
from tests import journeys
from tests.clock import start

Status = LicenseRequest.Status


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers the statuses it is told."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/portal"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on loopback
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


def verify(secret: str, received: dict) -> dict:
    """The receiver's check, written from the Standard Webhooks specification rather than with the portal's code."""
    headers, body = received["headers"], received["body"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in headers["webhook-signature"].split(" ")
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 300
    return json.loads(body)


def under_review(dataset, applicant) -> LicenseRequest:
    return journeys.under_review(applicant=applicant, dataset=dataset)


def test_an_approval_reaches_the_owners_receiver_signed(
    receiver, bob_client, bob, alice, lagper, django_capture_on_commit_callbacks
):
    bob_client.post(reverse("webhooks"), {"dataset": lagper.pk, "url": receiver.url})
    webhook = Webhook.objects.get()
    request = under_review(lagper, alice)

    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)

    [received] = receiver.received
    event = verify(webhook.secret, received)
    assert event["type"] == "licence.approved"
    assert event["data"]["licence"] == request.reference
    assert event["data"]["dataset"] == "lagper"
    assert event["data"]["status"] == "approved"
    delivery = WebhookDelivery.objects.get()
    assert received["headers"]["webhook-id"] == delivery.msg_id
    assert (delivery.outcome, delivery.response_status, delivery.attempts) == ("delivered", 200, 1)
    page = bob_client.get(reverse("webhooks")).content.decode()
    assert delivery.msg_id not in page and "licence.approved" in page and ">200<" in page


def test_a_tampered_body_fails_the_receivers_check(receiver, bob, alice, lagper, django_capture_on_commit_callbacks):
    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_reject(request=request, reviewer=bob, reason="Unit missing.")
    [received] = receiver.received
    assert verify(webhook.secret, received)["type"] == "licence.rejected"
    with pytest.raises(AssertionError):
        verify(webhook.secret, {**received, "body": received["body"].replace(b"rejected", b"approved")})


def test_a_500_is_retried_and_the_second_attempt_delivers(
    receiver, bob, alice, lagper, django_capture_on_commit_callbacks
):
    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    receiver.statuses = [500]
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_revoke(
            request=request_approve(request=request, reviewer=bob, expires_at=None),
            reviewer=bob,
            reason="Redistributed.",
        )
    kinds = [json.loads(r["body"])["type"] for r in receiver.received]
    assert kinds == ["licence.approved", "licence.approved", "licence.revoked"]
    first, retry = receiver.received[:2]
    assert first["headers"]["webhook-id"] == retry["headers"]["webhook-id"]  # one message, retried
    verify(webhook.secret, retry)
    approved = WebhookDelivery.objects.get(event_type="licence.approved")
    assert (approved.outcome, approved.attempts, approved.response_status) == ("delivered", 2, 200)


def test_a_return_for_correction_reaches_the_receiver_signed(
    receiver, bob, alice, lagper, settings, django_capture_on_commit_callbacks
):
    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        journeys.returned(request, reviewer=bob, fields=("unit",), reason="Name the lab.")

    [received] = receiver.received
    event = verify(webhook.secret, received)
    returned = request.events.get(to_status=Status.RETURNED)
    assert event["type"] == "licence.returned"
    assert event["data"] == {
        "licence": request.reference,
        "dataset": "lagper",
        "status": "returned",
        "from_status": "under_review",
        "event_id": returned.pk,
        "at": start().isoformat(),
        "url": f"{settings.SITE_URL}/api/v1/licences/{request.reference}/",
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event_type, delivery.outcome, received["headers"]["webhook-id"]) == (
        "licence.returned",
        "delivered",
        delivery.msg_id,
    )


def test_an_expired_licence_reaches_the_receiver_signed_when_the_sweep_ends_it(
    receiver, bob, alice, lagper, clock, settings, django_capture_on_commit_callbacks
):
    from requests_app.notifications import reminders

    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    ends = timezone.now() + datetime.timedelta(days=30)
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        licence = request_approve(request=request, reviewer=bob, expires_at=ends)
    assert [json.loads(r["body"])["type"] for r in receiver.received] == ["licence.approved"]

    clock.move_to(ends - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.expire_licences(now=timezone.now()) == 0
    assert len(receiver.received) == 1  # not before its end

    clock.move_to(ends)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.expire_licences(now=timezone.now()) == 1
    event = verify(webhook.secret, receiver.received[-1])
    assert event["type"] == "licence.expired"
    assert event["data"] == {
        "licence": licence.reference,
        "dataset": "lagper",
        "status": "expired",
        "from_status": "approved",
        "event_id": licence.events.get(to_status=Status.EXPIRED).pk,
        "at": ends.isoformat(),
        "url": f"{settings.SITE_URL}/api/v1/licences/{licence.reference}/",
    }
    assert int(receiver.received[-1]["headers"]["webhook-timestamp"]) == int(ends.timestamp())
    assert WebhookDelivery.objects.get(event_type="licence.expired").outcome == "delivered"

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.expire_licences(now=timezone.now()) == 0
    assert len(receiver.received) == 2  # the next sweep sends nothing again


def test_a_receiver_that_keeps_failing_shows_as_failed(
    receiver, bob, alice, lagper, settings, django_capture_on_commit_callbacks
):
    from requests_app.integrations import tasks

    webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    receiver.statuses = [503] * 10
    previous = tasks.deliver_webhook.max_retries
    tasks.deliver_webhook.max_retries = 2
    try:
        request = under_review(lagper, alice)
        with django_capture_on_commit_callbacks(execute=True):
            request_reject(request=request, reviewer=bob, reason="No.")
    finally:
        tasks.deliver_webhook.max_retries = previous
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.attempts, delivery.response_status, delivery.last_error) == (
        "failed",
        3,
        503,
        "HTTP 503",
    )


def test_the_test_button_sends_a_signed_test_event(receiver, bob_client, bob, lagper):
    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    bob_client.post(reverse("webhook_test", args=[webhook.pk]))
    [received] = receiver.received
    assert verify(webhook.secret, received)["type"] == "test"


def test_only_submission_and_decisions_are_sent(receiver, bob, alice, lagper, django_capture_on_commit_callbacks):
    webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        request = journeys.draft(applicant=alice, dataset=lagper)
        request_submit(request=request, user=alice, fields={}, ip=None, user_agent="test")
        request_withdraw(request=request, user=alice)
    assert [json.loads(r["body"])["type"] for r in receiver.received] == ["licence.submitted"]


def test_a_licensee_who_must_reaccept_and_then_does_is_sent_signed(
    receiver, bob, alice, lagper, tmp_path, django_capture_on_commit_callbacks
):
    from requests_app.agreement_format import reacceptance
    from requests_app.agreement_format.loading import load_dataset_file
    from tests.paths import LAGPER_TOML

    licence = request_approve(request=under_review(lagper, alice), reviewer=bob, expires_at=None)
    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=receiver.url)
    changed = tmp_path / "lagper.toml"
    changed.write_text(LAGPER_TOML.read_text().replace("commercial activity", "commercial or military activity"))
    with django_capture_on_commit_callbacks(execute=True):
        version = load_dataset_file(changed, licensees_must_reaccept=True).agreement_version
    [needed] = [verify(webhook.secret, r) for r in receiver.received]
    assert needed["type"] == "licence.reacceptance_needed"
    assert needed["data"]["licence"] == licence.reference and needed["data"]["status"] == "approved"
    assert needed["data"]["reacceptance_needed"] is True
    assert needed["data"]["agreement"] == {"version": version.label, "sha256": version.sha256}

    with django_capture_on_commit_callbacks(execute=True):
        changes = reacceptance.changes_for(licence, reacceptance.pending(licence))
        reacceptance.reacceptance_accept(
            request=licence,
            user=alice,
            clause_numbers={c.number for c in changes},
            ip=None,
            user_agent="test",
        )
    done = verify(webhook.secret, receiver.received[-1])
    assert done["type"] == "licence.reaccepted" and done["data"]["reacceptance_needed"] is False
    assert done["data"]["agreement"]["sha256"] == version.sha256
    assert len(receiver.received) == 2

    # Publishing the same text again asks nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        reacceptance.reacceptance_require(version=version)
    assert len(receiver.received) == 2


# --- Private addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.5/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_a_url_on_a_private_address_is_refused_at_registration(bob, lagper, url):
    with pytest.raises(webhooks.WebhookInvalid):
        webhooks.webhook_register(user=bob, dataset=lagper, url=url)
    assert not Webhook.objects.exists()


def test_plain_http_is_refused(bob, lagper):
    with pytest.raises(webhooks.WebhookInvalid, match="https"):
        webhooks.webhook_register(user=bob, dataset=lagper, url="http://example.org/hook")


def test_the_page_says_why_a_url_was_refused_and_keeps_it(bob_client, lagper):
    page = bob_client.post(reverse("webhooks"), {"dataset": lagper.pk, "url": "https://127.0.0.1:8443/hook"})
    assert page.status_code == 200
    assert "loopback" in page.content.decode()
    assert 'value="https://127.0.0.1:8443/hook"' in page.content.decode()


class Resolver:
    """The answers DNS gives for the owner's host name, which its owner (or an attacker) may change;
    every other name resolves as usual."""

    HOST = "hooks.owner.example"

    def __init__(self, real, address: str):
        self.real, self.address, self.asked = real, address, 0

    def __call__(self, host, port, *args, **kwargs):
        if host != self.HOST:
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (self.address, port))]


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.0.0.7", "a private or reserved address"),
        ("169.254.169.254", "a link-local address"),
    ],
)
def test_a_name_that_resolves_private_after_registration_is_refused_at_send_time(
    bob, bob_client, alice, lagper, monkeypatch, address, refusal, django_capture_on_commit_callbacks
):
    resolver = Resolver(socket.getaddrinfo, "93.184.215.14")
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolver)
    posted = []
    monkeypatch.setattr(webhooks, "_post", lambda url, address, body, headers: posted.append(address) or 200)
    webhook = webhooks.webhook_register(user=bob, dataset=lagper, url=f"https://{Resolver.HOST}/portal")
    assert resolver.asked == 1  # public at registration

    resolver.address = address  # the name is re-pointed
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_reject(request=request, reviewer=bob, reason="No.")

    assert resolver.asked == 2 and posted == []
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert (delivery.outcome, delivery.attempts, delivery.response_status) == ("failed", 1, None)  # not retried
    assert delivery.last_error == (
        f"Refused: {Resolver.HOST} resolves to {address}, {refusal}: the portal does not send there."
    )
    assert delivery.last_error in bob_client.get(reverse("webhooks")).content.decode()

    resolver.address = "93.184.215.14"  # and back: the next event is sent, to the address just checked
    other = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=other, reviewer=bob, expires_at=None)
    assert posted == ["93.184.215.14"]


def test_charlie_cannot_register_for_lagper_nor_see_the_page(charlie, lagper):
    with pytest.raises(webhooks.WebhookInvalid):
        webhooks.webhook_register(user=charlie, dataset=lagper, url="https://example.org/hook")
    client = Client()
    client.force_login(charlie)
    assert client.get(reverse("webhooks")).status_code == 404


def test_a_receiver_that_does_not_answer_is_retried_then_failed(
    bob, alice, lagper, settings, django_capture_on_commit_callbacks
):
    from requests_app.integrations import tasks

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver() as closed:  # started and stopped: its port now refuses connections
        url = closed.url
    webhooks.webhook_register(user=bob, dataset=lagper, url=url)
    previous = tasks.deliver_webhook.max_retries
    tasks.deliver_webhook.max_retries = 1
    try:
        request = under_review(lagper, alice)
        with django_capture_on_commit_callbacks(execute=True):
            request_reject(request=request, reviewer=bob, reason="No.")
    finally:
        tasks.deliver_webhook.max_retries = previous
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.attempts, delivery.response_status) == ("failed", 2, None)
    assert delivery.last_error.startswith("No answer")
