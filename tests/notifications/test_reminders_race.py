"""Two sweeps racing on PostgreSQL (two beats, two workers) send every email exactly once."""

import datetime
import threading
from collections import Counter

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from requests_app.models import Notification, RequestEvent
from requests_app.notifications import reminders
from tests import journeys
from tests.factories import UserFactory

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="Needs PostgreSQL: SQLite serialises writers, so two sweeps cannot race there. "
    "Run with DATABASE_URL=postgres://...",
)


def _due_everything(lagper, bob, now):
    """Eight of each: a month-6 terms reminder, an expiry, a 7-day expiry notice; four nudges, four stale."""

    def licence(approved_at, expires_at=None):
        with time_machine.travel(approved_at, tick=False):
            journeys.approved(applicant=UserFactory(), dataset=lagper, reviewer=bob, expires_at=expires_at)

    for i in range(8):
        licence(now - relativedelta(months=6, hours=i + 1))
        licence(now - days(400), expires_at=now - datetime.timedelta(minutes=i + 1))
        licence(now - days(400), expires_at=now + days(6))
    for waited in [3] * 4 + [31] * 4:
        with time_machine.travel(now - days(waited) - datetime.timedelta(hours=1), tick=False):
            journeys.submitted(applicant=UserFactory(), dataset=lagper)


def days(n):
    return datetime.timedelta(days=n)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_send_each_email_once(lagper, bob):
    now = timezone.now()
    _due_everything(lagper, bob, now)
    # What the applications and decisions sent on the way there (receipts, approvals, representatives).
    mail.outbox.clear()
    earlier = list(Notification.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            reminders.run_sweeps(now=now)
        except Exception as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    sent = Counter((tuple(m.to), m.subject) for m in mail.outbox)
    assert [key for key, count in sent.items() if count > 1] == []
    kinds = Counter(
        Notification.objects.exclude(pk__in=earlier).filter(sent_at__isnull=False).values_list("kind", flat=True)
    )
    assert kinds == {"terms_reminder": 8, "expired": 8, "expiry_notice": 8, "signature_nudge": 4, "stale_withdrawn": 4}
    assert len(mail.outbox) == 32
    assert Counter(RequestEvent.objects.filter(actor=None).values_list("to_status", flat=True)) == {
        "expired": 8,
        "withdrawn": 4,
    }
