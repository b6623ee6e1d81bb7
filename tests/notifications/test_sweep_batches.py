"""A catch-up sweep writes in small committed batches: Alice's application goes through while it runs.

SQLite admits one writer at a time; a sweep holding the write lock for the whole catch-up made an
applicant's POST fail with "database is locked". Here the sweep works on a file database (WAL, as
`make run` has it) in batches of 5, and Alice posts her application from another thread between
two of its batches.
"""

import datetime
import sqlite3
import threading

import pytest
import time_machine
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import LicenseRequest, Notification, RequestEvent
from requests_app.notifications import reminders
from requests_app.ops import batches
from tests import journeys
from tests.factories import LicenseRequestFactory

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite's database-wide write lock; PostgreSQL locks rows (tests/notifications/test_reminders_race.py).",
)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def file_database(tmp_path):
    """`copy()` the test database to a file; then `use()` it, in each thread that should.

    The in-memory test database is shared-cache SQLite, whose locking is not a file's: the file is
    (WAL, as `make run` has it). A writer kept waiting gives up after 5 s here (20 s in the portal),
    so a lock held across batches fails the test fast.
    """
    memory = connections["default"]
    path = tmp_path / "portal.sqlite3"
    on_file = {**memory.settings_dict, "NAME": str(path), "OPTIONS": {**memory.settings_dict["OPTIONS"], "timeout": 5}}

    class FileDatabase:
        @staticmethod
        def copy():
            memory.ensure_connection()
            with sqlite3.connect(path) as copied:
                memory.connection.backup(copied)
            copied.close()

        @staticmethod
        def use():
            connections["default"] = memory.__class__(on_file, "default")

    yield FileDatabase
    connections["default"] = memory  # each thread closed its own connection


def waiting_since(days: int, *, now, dataset, applicant) -> LicenseRequest:
    """Submitted `days` (and an hour) ago, its signed copy never sent."""
    with time_machine.travel(now - days * DAY - datetime.timedelta(hours=1), tick=False):
        return LicenseRequestFactory(dataset=dataset, applicant=applicant)


def application_post(agreement) -> dict:
    typed = journeys.application(agreement.dataset)
    return {
        **typed,
        "signing_date": typed["signing_date"].isoformat(),
        "submit": "Submit",
        **{f"clause_{clause['number']}": "on" for clause in agreement.clauses},
    }


@pytest.mark.django_db(transaction=True)
def test_alice_applies_between_two_batches_of_a_catch_up_sweep(
    lagper, alice, charlie, file_database, settings, monkeypatch
):
    settings.SWEEP_BATCH_SIZE = 5
    settings.SWEEP_PAUSE_SECONDS = 0  # Alice is let in explicitly below
    now = timezone.now()
    # 60 due, Charlie's: 30 waited 31 days for their signed copy (withdrawn, with notice), 30 waited 4 days (nudged).
    stale = [waiting_since(31, now=now, dataset=lagper, applicant=charlie) for _ in range(30)]
    nudged = [waiting_since(4, now=now, dataset=lagper, applicant=charlie) for _ in range(30)]
    file_database.copy()
    file_database.use()
    between_batches, alice_done = threading.Event(), threading.Event()
    order, errors, responses = [], [], []
    real_step_aside = batches.step_aside

    def step_aside():
        # The sweep has committed its first batches: Alice posts now, and the sweep goes on once she is done.
        if not between_batches.is_set():
            between_batches.set()
            alice_done.wait(timeout=30)
        real_step_aside()

    monkeypatch.setattr(batches, "step_aside", step_aside)

    def sweep():
        file_database.use()
        try:
            reminders.run_sweeps(now=now)
            order.append("sweep finished")
        except Exception as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connections["default"].close()

    def alice_applies():
        file_database.use()
        try:
            assert between_batches.wait(timeout=30)
            client = Client()
            client.force_login(alice)
            responses.append(
                client.post(reverse("requests_app:apply", args=["lagper"]), application_post(lagper.current_agreement))
            )
            order.append("alice applied")
        except Exception as error:
            errors.append(error)
        finally:
            alice_done.set()
            connections["default"].close()

    threads = [threading.Thread(target=sweep), threading.Thread(target=alice_applies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert order == ["alice applied", "sweep finished"]
    [response] = responses
    alices = LicenseRequest.objects.get(applicant=alice)
    assert response.status_code == 302 and response.url == alices.get_absolute_url()
    assert alices.status == LicenseRequest.Status.AWAITING_SIGNATURE
    # Exactly once: each stale request withdrawn once with one notice, each nudge claimed and sent once.
    assert set(LicenseRequest.objects.filter(status="withdrawn").values_list("pk", flat=True)) == {r.pk for r in stale}
    assert RequestEvent.objects.filter(to_status="withdrawn").count() == 30
    sent = Notification.objects.filter(sent_at__isnull=False)
    assert set(sent.filter(kind="stale_withdrawn").values_list("request_id", flat=True)) == {r.pk for r in stale}
    assert set(sent.filter(kind="signature_nudge").values_list("request_id", flat=True)) == {r.pk for r in nudged}
    assert Notification.objects.filter(kind__in=["stale_withdrawn", "signature_nudge"]).count() == 60
    assert reminders.run_sweeps(now=now) == 0  # a second sweep finds nothing left to do
