"""LAGPeR is also a gated Hugging Face repository: its access follows the licences granted here.

The Hub is a local HTTP server started by the test, implementing the access-request endpoints that
huggingface_hub's HfApi calls, and recording what it was asked.
"""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.agreement_format.loading import DatasetFileError, load_dataset_file
from requests_app.integrations import huggingface
from requests_app.models import HuggingFaceCall, HuggingFacePendingRequest, LicenseRequest
from requests_app.notifications import reminders
from requests_app.review.services import request_approve, request_revoke
from tests import journeys
from tests.paths import LAGPER_TOML

Status = LicenseRequest.Status
REPO = "nwpu-lagper/LAGPeR"
PREFIX = f"/api/datasets/{REPO}/user-access-request/"


def hub_time(moment) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeHub:
    """The gated repository's access lists, and a log of (method, path, json body, authorization)."""

    def __init__(self):
        self.pending: dict[str, str] = {}  # username -> request time
        self.accepted: set[str] = set()
        self.asked: list[tuple] = []
        self.refuse_with: int | None = None
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                hub.asked.append(("GET", self.path, None, self.headers.get("Authorization")))
                if hub.refuse_with:
                    return self._answer(hub.refuse_with, {"error": "refused"})
                if self.path != PREFIX + "pending":
                    return self._answer(404, {"error": "Repository not found"})
                self._answer(
                    200,
                    [
                        {
                            "user": {"user": name, "fullname": name.title(), "email": None},
                            "requestId": f"r-{name}",
                            "status": "pending",
                            "timestamp": at,
                            "fields": {},
                        }
                        for name, at in hub.pending.items()
                    ],
                )

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                hub.asked.append(("POST", self.path, body, self.headers.get("Authorization")))
                if hub.refuse_with:
                    return self._answer(hub.refuse_with, {"error": "refused"})
                user = body.get("user")
                if self.path == PREFIX + "grant":
                    if user in hub.accepted:
                        return self._answer(400, {"error": "User already has access"})
                    hub.accepted.add(user)
                    return self._answer(200, {})
                if self.path == PREFIX + "handle" and body.get("status") == "accepted":
                    if user not in hub.pending:
                        return self._answer(404, {"error": "Access request not found"})
                    del hub.pending[user]
                    hub.accepted.add(user)
                    return self._answer(200, {})
                if self.path == PREFIX + "handle" and body.get("status") == "pending":
                    if user not in hub.accepted:
                        return self._answer(404, {"error": "Access request not found"})
                    hub.accepted.discard(user)
                    hub.pending[user] = hub_time(timezone.now())
                    return self._answer(200, {})
                self._answer(404, {"error": "Not found"})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"

    def posts(self):
        return [(path.removeprefix(PREFIX), body) for method, path, body, _ in self.asked if method == "POST"]


@pytest.fixture
def hub(settings):
    hub = FakeHub()
    thread = threading.Thread(target=hub.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.HF_ENDPOINT = hub.endpoint
    settings.HF_TOKEN = "hf_owner_write_token"
    yield hub
    hub.server.shutdown()
    hub.server.server_close()


@pytest.fixture
def gated(lagper):
    lagper.hf_repo = REPO
    lagper.save(update_fields=["hf_repo"])
    return lagper


def alices(gated, alice, **fields):
    return journeys.under_review(applicant=alice, dataset=gated, hf_username="alice-hf", **fields)


def calls(request):
    return list(request.hf_calls.values_list("action", "username", "ok", "result"))


def test_approval_accepts_alices_pending_request_and_revocation_cancels_it(
    hub, gated, alice, bob, django_capture_on_commit_callbacks
):
    hub.pending["alice-hf"] = hub_time(timezone.now() - datetime.timedelta(days=1))
    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    assert hub.posts() == [("handle", {"user": "alice-hf", "status": "accepted"})]
    assert hub.accepted == {"alice-hf"} and hub.pending == {}
    assert {auth for *_, auth in hub.asked} == {"Bearer hf_owner_write_token"}

    with django_capture_on_commit_callbacks(execute=True):
        request_revoke(request=request, reviewer=bob, reason="Redistributed.")
    assert hub.posts()[-1] == ("handle", {"user": "alice-hf", "status": "pending"})
    assert hub.accepted == set()
    assert calls(request) == [
        ("list_pending", "alice-hf", True, "1 pending"),
        ("accept", "alice-hf", True, "OK"),
        ("cancel", "alice-hf", True, "OK"),
    ]


def test_approval_grants_access_when_alice_has_not_asked_the_hub_yet(
    hub, gated, alice, bob, django_capture_on_commit_callbacks
):
    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    assert hub.posts() == [("grant", {"user": "alice-hf"})]
    assert hub.accepted == {"alice-hf"}
    assert [c[:3] for c in calls(request)] == [("list_pending", "alice-hf", True), ("grant", "alice-hf", True)]


def test_expiry_cancels_access(hub, gated, alice, bob, clock, django_capture_on_commit_callbacks):
    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=timezone.now() + datetime.timedelta(days=30))
    clock.shift(datetime.timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        reminders.expire_licences(now=timezone.now())
    request.refresh_from_db()
    assert request.status == Status.EXPIRED
    assert hub.posts()[-1] == ("handle", {"user": "alice-hf", "status": "pending"})
    assert hub.accepted == set()


def test_a_refusal_by_the_hub_is_recorded_on_the_request(hub, gated, alice, bob, django_capture_on_commit_callbacks):
    hub.refuse_with = 403
    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    request.refresh_from_db()
    assert request.status == Status.APPROVED  # the licence stands; the Hub's answer is on record
    [(_, _, ok, result)] = [c for c in calls(request) if c[0] == "grant"]
    assert not ok and result.startswith("HTTP 403")


def test_the_sweep_accepts_licensed_users_and_leaves_and_records_the_others(
    hub, gated, alice, bob, charlie, django_capture_on_commit_callbacks
):
    request = alices(gated, alice)
    hub.refuse_with = 401  # the owner's token had expired at approval
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    hub.refuse_with = None
    hub.pending = {"Alice-HF": hub_time(timezone.now()), "mallory": hub_time(timezone.now())}

    assert huggingface.hf_pending_sweep() == {"lagper": ["mallory"]}

    assert ("handle", {"user": "Alice-HF", "status": "accepted"}) in hub.posts()
    assert set(hub.pending) == {"mallory"}  # left pending: the owner tells them where to apply
    assert list(HuggingFacePendingRequest.objects.values_list("dataset__slug", "username")) == [("lagper", "mallory")]
    assert calls(request)[-1] == ("accept", "alice-hf", True, "OK")

    hub.pending.clear()
    assert huggingface.hf_pending_sweep() == {"lagper": []}
    assert not HuggingFacePendingRequest.objects.exists()


# --- A changed agreement to accept: access held until the licensee does --------------------------------


def test_while_alice_must_accept_a_changed_agreement_her_access_is_held_then_given_back(
    hub,
    gated,
    alice,
    bob,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    assert hub.accepted == {"alice-hf"}

    with django_capture_on_commit_callbacks(execute=True):
        journeys.agreement_changed(gated, tmp_path)
    assert hub.posts()[-1] == ("handle", {"user": "alice-hf", "status": "pending"})
    assert hub.accepted == set() and set(hub.pending) == {"alice-hf"}
    assert calls(request)[-1] == ("hold", "alice-hf", True, "OK")

    # The sweep leaves her pending, and does not list her among those who have no licence.
    posted = len(hub.posts())
    assert huggingface.hf_pending_sweep() == {"lagper": ["alice-hf"]}
    assert len(hub.posts()) == posted and set(hub.pending) == {"alice-hf"}
    assert not HuggingFacePendingRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        journeys.reaccepted(request)
    assert hub.posts()[-1] == ("handle", {"user": "alice-hf", "status": "accepted"})
    assert hub.accepted == {"alice-hf"} and hub.pending == {}
    assert calls(request)[-2:] == [("list_pending", "alice-hf", True, "1 pending"), ("accept", "alice-hf", True, "OK")]


def test_alice_who_asks_the_hub_before_accepting_the_changed_agreement_gets_access_only_after(
    hub,
    gated,
    alice,
    bob,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    request = alices(gated, alice)
    hub.refuse_with = 401  # the owner's token had expired at approval: Alice never had access
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
        hub.refuse_with = None
        journeys.agreement_changed(gated, tmp_path)
    hub.pending = {"alice-hf": hub_time(timezone.now())}

    assert huggingface.hf_grant(request_id=request.pk) is False  # nothing asked of the Hub
    assert huggingface.hf_pending_sweep() == {"lagper": ["alice-hf"]}
    assert ("handle", {"user": "alice-hf", "status": "accepted"}) not in hub.posts()

    journeys.reaccepted(request)
    assert huggingface.hf_pending_sweep() == {"lagper": []}
    assert hub.accepted == {"alice-hf"}


def test_a_hold_that_runs_after_alice_accepted_leaves_her_access(
    hub, gated, alice, bob, tmp_path, django_capture_on_commit_callbacks
):
    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        journeys.agreement_changed(gated, tmp_path)
    journeys.reaccepted(request)  # before the worker got to the hold
    for callback in queued:
        callback()
    assert hub.accepted == {"alice-hf"}
    assert "hold" not in [action for action, *_ in calls(request)]


def test_a_dataset_without_a_repository_calls_nobody(hub, lagper, alice, bob, django_capture_on_commit_callbacks):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    assert hub.asked == [] and not HuggingFaceCall.objects.exists()


# --- The dataset file and the application form ------------------------------------------------------


def test_the_dataset_file_names_the_gated_repository(db, tmp_path):
    path = Path(tmp_path) / "lagper.toml"
    path.write_text(f'hf_repo = "{REPO}"\n' + LAGPER_TOML.read_text())
    assert load_dataset_file(path).dataset.hf_repo == REPO
    path.write_text('hf_repo = "not a repo"\n' + LAGPER_TOML.read_text())
    with pytest.raises(DatasetFileError, match="hf_repo"):
        load_dataset_file(path)


@pytest.fixture
def staff_client(settings, db):
    """Erin, staff allowed to change datasets, signed in as the admin requires: password, then her second factor."""
    import time

    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
    from django.contrib.auth.models import Permission
    from django.test import Client

    from tests.factories import PASSWORD, UserFactory

    settings.MFA_REQUIRED_FOR_STAFF = True
    erin = UserFactory(username="erin", email="erin@nwpu.example", is_staff=True)
    erin.user_permissions.add(*Permission.objects.filter(codename__in=["view_dataset", "change_dataset"]))
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(erin, secret)
    client = Client()
    signed_in = client.post(reverse("account_login"), {"login": erin.email, "password": PASSWORD})
    assert signed_in.url.startswith(reverse("mfa_authenticate"))
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    return client


def change_form(page, **changes) -> dict:
    """What the admin's change form posts back: every field as it was rendered, with `changes`."""
    form = page.context["adminform"].form
    values = {name: form[name].value() for name in form.fields}
    return {name: value for name, value in {**values, **changes}.items() if value is not None}


def test_staff_name_the_gated_repository_in_the_admin_and_the_form_then_asks_for_a_hub_username(
    staff_client, lagper, bob, alice_client
):
    url = reverse("admin:requests_app_dataset_change", args=[lagper.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'name="hf_repo"' in page.content.decode()

    saved = staff_client.post(url, change_form(page, hf_repo=REPO))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    lagper.refresh_from_db()
    assert lagper.hf_repo == REPO
    assert list(lagper.reviewers.all()) == [bob]  # nothing else changed with it
    form = alice_client.get(reverse("requests_app:apply", args=[lagper.slug])).content.decode()
    assert 'name="hf_username"' in form and REPO in form


def test_the_admin_refuses_a_malformed_repository_beside_its_field(staff_client, lagper):
    url = reverse("admin:requests_app_dataset_change", args=[lagper.pk])
    refused = staff_client.post(url, change_form(staff_client.get(url), hf_repo="nwpu lagper/../x"))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["hf_repo"] == [
        'A Hugging Face repository id is "owner/name", for example "nwpu/LAGPeR".'
    ]
    lagper.refresh_from_db()
    assert lagper.hf_repo == ""


def test_the_form_asks_for_a_hugging_face_username_only_for_a_gated_dataset(alice_client, lagper):
    url = reverse("requests_app:apply", args=[lagper.slug])
    assert 'name="hf_username"' not in alice_client.get(url).content.decode()
    lagper.hf_repo = REPO
    lagper.save(update_fields=["hf_repo"])
    page = alice_client.get(url).content.decode()
    assert 'name="hf_username"' in page and REPO in page


def test_a_draft_keeps_the_hugging_face_username_and_a_malformed_one_is_refused(alice_client, alice, gated):
    url = reverse("requests_app:apply", args=[gated.slug])
    page = alice_client.post(url, {"hf_username": "alice hf <b>", "save": "1"})
    assert page.status_code == 200
    assert "Hugging Face username" in page.content.decode()
    assert not LicenseRequest.objects.exists()
    alice_client.post(url, {"hf_username": "alice-hf", "save": "1"})
    assert LicenseRequest.objects.get(applicant=alice).hf_username == "alice-hf"


def test_bob_sees_the_username_and_every_hub_call_on_the_decision_page(
    hub, gated, alice, bob, django_capture_on_commit_callbacks
):
    from django.test import Client

    request = alices(gated, alice)
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(request=request, reviewer=bob, expires_at=None)
    client = Client()
    client.force_login(bob)
    page = client.get(reverse("review:request", args=[request.reference])).content.decode()
    assert "<code>alice-hf</code>" in page
    assert "<td>grant</td>" in page and "<td>list_pending</td>" in page


def test_the_dataset_page_tells_hub_users_to_apply_here(client, gated):
    page = client.get(gated.get_absolute_url()).content.decode()
    assert f"<code>{REPO}</code>" in page and "Apply here with your Hugging Face username" in page
