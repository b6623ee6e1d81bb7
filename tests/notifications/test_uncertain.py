"""A notification whose worker died mid-send is shown as uncertain and resent only by an admin."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from requests_app.models import Notification
from requests_app.notifications import reminders
from requests_app.notifications import services as notifications
from requests_app.ops.uncertain import uncertain
from tests import journeys


class WorkerKilled(BaseException):
    """What a worker killed mid-send looks like from inside: nothing after it runs."""


@pytest.fixture
def claimed_by_a_dead_worker(alice, bob, lagper, settings, monkeypatch):
    """A decision email claimed for sending by a worker that then vanished."""
    settings.NOTIFICATION_UNCERTAIN_AFTER_SECONDS = 900
    request = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    notification = Notification.objects.get(request=request, kind=Notification.Kind.REQUEST_APPROVED)

    def killed(notification):
        raise WorkerKilled

    with monkeypatch.context() as patched, pytest.raises(WorkerKilled):
        patched.setitem(notifications.SENDERS, Notification.Kind.REQUEST_APPROVED, killed)
        notifications.notifications_send(notification_ids=[notification.pk])
    notification.refresh_from_db()
    assert (notification.claimed_at, notification.sent_at, notification.attempts) == (timezone.now(), None, 1)
    return notification


def changelist(admin_client, delivery):
    url = reverse("admin:requests_app_notification_changelist") + f"?delivery={delivery}"
    return admin_client.get(url).content.decode()


def test_a_claim_is_being_sent_then_uncertain_past_the_timeout(claimed_by_a_dead_worker, admin_client, clock):
    row = f'href="/admin/requests_app/notification/{claimed_by_a_dead_worker.pk}/change/'
    assert row in changelist(admin_client, "sending") and row not in changelist(admin_client, "uncertain")
    clock.shift(datetime.timedelta(seconds=899))
    assert row in changelist(admin_client, "sending")
    clock.shift(datetime.timedelta(seconds=2))
    assert row in changelist(admin_client, "uncertain") and row not in changelist(admin_client, "sending")


def test_an_uncertain_notification_is_never_resent_by_the_workers(
    claimed_by_a_dead_worker, clock, django_capture_on_commit_callbacks
):
    clock.shift(datetime.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        reminders.run_sweeps()
        notifications.notifications_send(notification_ids=[claimed_by_a_dead_worker.pk])  # a redelivered task
    assert mail.outbox == []
    assert uncertain(Notification.objects.all(), now=timezone.now()).get() == claimed_by_a_dead_worker


def test_the_admin_resends_an_uncertain_notification(
    claimed_by_a_dead_worker, admin_client, clock, django_capture_on_commit_callbacks
):
    url = reverse("admin:requests_app_notification_changelist")
    select = {"action": "send_uncertain_again", "_selected_action": [claimed_by_a_dead_worker.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, select)  # still within the timeout: it may be being sent right now
    assert mail.outbox == []

    clock.shift(datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, select, follow=True)
        admin_client.post(url, select)  # a second click sends nothing more
    assert "1 uncertain notification(s) queued to be sent again." in response.content.decode()
    assert len(mail.outbox) == 1
    claimed_by_a_dead_worker.refresh_from_db()
    assert claimed_by_a_dead_worker.sent_at is not None and claimed_by_a_dead_worker.attempts == 2


def test_redis_gets_a_visibility_timeout_longer_than_any_retry_countdown(settings):
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_VISIBILITY_TIMEOUT > settings.NOTIFICATION_RETRY_BACKOFF_MAX
