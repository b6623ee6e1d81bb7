"""The reminders through a real broker and a real Celery worker, not eager mode."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.db import connection
from django.utils import timezone

from accessportal.celery import app
from requests_app import tasks
from requests_app.models import Notification

from .factories import LicenseRequestFactory

pytestmark = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="CELERY_BROKER_URL is not set: this test needs a real broker (CI sets redis://127.0.0.1:6379/15).",
)


finished = []


def _after_task(sender=None, **kwargs):
    finished.append(sender.name)
    # The embedded worker is a thread with its own database connection: close it after each task,
    # as the worker's Django fixup would, so the test database can be flushed and dropped.
    connection.close()


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_and_the_reminder_arrives(alice, lagper):
    now = timezone.now()
    licence = LicenseRequestFactory(
        applicant=alice, dataset=lagper, status="approved", approved_at=now - relativedelta(months=6, hours=1),
    )
    app.conf.task_always_eager = False  # the autouse fixture restores it
    app.control.purge()  # nothing left over from an earlier run on the same broker
    finished.clear()
    task_postrun.connect(_after_task, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            tasks.reminders_sweep.delay()  # the worker sweeps, then sends through the broker again
            assert wait_for(lambda: len(mail.outbox) >= 1), "no email arrived from the worker"
            tasks.send_notification.delay(Notification.objects.get().pk)  # delivered twice
            tasks.reminders_sweep.delay()  # and a second beat
            assert wait_for(lambda: len(finished) == 4), finished
    finally:
        task_postrun.disconnect(_after_task)

    assert [m.subject for m in mail.outbox] == [f"[Licence portal] {licence.reference}: a reminder of your LAGPeR licence terms"]
    assert Notification.objects.get().attempts == 1
