"""The reminders through a real broker and a real Celery worker, not eager mode."""

import os
import time

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.db import connection
from django.utils import timezone

from accessportal.celery import app
from requests_app import tasks
from requests_app.models import Notification
from tests import journeys

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
def test_a_real_worker_runs_the_sweep_and_the_reminder_arrives(alice, bob, lagper):
    now = timezone.now()
    with time_machine.travel(now - relativedelta(months=6, hours=1), tick=False):
        licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    mail.outbox.clear()  # the receipt and the approval, sent in-process before the worker starts
    app.conf.task_always_eager = False  # the autouse fixture restores it
    app.control.purge()  # nothing left over from an earlier run on the same broker
    finished.clear()
    task_postrun.connect(_after_task, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            tasks.reminders_sweep.delay()  # the worker sweeps, then sends through the broker again
            assert wait_for(lambda: len(mail.outbox) >= 1), "no email arrived from the worker"
            tasks.send_notification.delay(Notification.objects.get(kind="terms_reminder").pk)  # delivered twice
            tasks.reminders_sweep.delay()  # and a second beat
            assert wait_for(lambda: len(finished) == 4), finished
    finally:
        task_postrun.disconnect(_after_task)

    assert [m.subject for m in mail.outbox] == [
        f"[Licence portal] {licence.reference}: a reminder of your LAGPeR licence terms"
    ]
    assert Notification.objects.get(kind="terms_reminder").attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_checks_a_quarantined_upload_in_a_child_and_it_reaches_review(alice, lagper, private_media):
    from requests_app.documents import quarantine
    from requests_app.documents.signed_copies import UploadedPart
    from requests_app.models import LicenseRequest, QuarantinedFile, UploadCheck
    from tests import journeys
    from tests.documents.test_signed_copy import as_pdf, issued_pdf, scanned_pages

    request = journeys.submitted(applicant=alice, dataset=lagper)
    scan = as_pdf(scanned_pages(issued_pdf(request)))
    check = quarantine.signed_copy_quarantine(
        request=request,
        issued=request.issued_agreements.get(),
        user=alice,
        parts=[UploadedPart(original_name="scan.pdf", content_type="application/pdf", data=scan)],
    )
    app.conf.task_always_eager = False  # the autouse fixture restores it
    app.control.purge()
    finished.clear()
    task_postrun.connect(_after_task, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            quarantine.upload_check_enqueue(check)
            # The accepted upload's own news (webhooks, emails) may follow it on this worker.
            assert wait_for(lambda: "requests_app.tasks.signed_copy_check" in finished, seconds=60), finished
    finally:
        task_postrun.disconnect(_after_task)

    assert finished.count("requests_app.tasks.signed_copy_check") == 1
    check.refresh_from_db()
    assert check.state == UploadCheck.State.ACCEPTED, check.message
    request.refresh_from_db()
    assert request.status == LicenseRequest.Status.UNDER_REVIEW
    assert not QuarantinedFile.objects.exists()
