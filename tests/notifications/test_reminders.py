"""Reminders reach Alice exactly once, at the right moment; Bob's digest; failures stay visible."""

import calendar
import datetime
import re
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import tasks
from requests_app.models import Notification, ReviewerPreference
from requests_app.notifications import reminders
from requests_app.review.selectors import QueueFilters, mark_waiting, queue_counts
from requests_app.review.services import request_revoke
from tests import journeys
from tests.clock import next_weekday, start
from tests.factories import UserFactory

UTC = datetime.UTC
T0 = next_weekday(0)  # a Monday, after every fixture's writes
# A day into the terms reminder's window: approved at T0, due six months after.
SIX_MONTHS = relativedelta(months=6, days=1)
SECOND = datetime.timedelta(seconds=1)


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """One run of the periodic sweep, with the send tasks it enqueues on commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.run_sweeps()

    return run


def at(moment, action):
    with time_machine.travel(moment, tick=False):
        return action()


def subjects():
    """The subjects after the portal's prefix, which every one of them must carry."""
    prefix = "[Licence portal] "
    assert all(m.subject.startswith(prefix) for m in mail.outbox), [m.subject for m in mail.outbox]
    return [m.subject.removeprefix(prefix) for m in mail.outbox]


@pytest.fixture
def awaiting(alice, lagper):
    """Alice's request, waiting for her signed agreement since T0."""
    with time_machine.travel(T0, tick=False):
        return journeys.submitted(applicant=alice, dataset=lagper)


@pytest.fixture
def licence(alice, lagper, bob):
    """Alice's LAGPeR licence, approved by bob at T0 for three years."""
    with time_machine.travel(T0, tick=False):
        return journeys.approved(applicant=alice, dataset=lagper, reviewer=bob, expires_at=T0 + days(1095))


# --- Nudges and stale requests --------------------------------------------------------------------


def test_no_nudge_on_day_two(awaiting, sweep):
    at(T0 + days(3) - SECOND, sweep)
    assert mail.outbox == []


def test_one_nudge_on_day_three_and_none_on_rerun(awaiting, sweep):
    at(T0 + days(3), sweep)
    at(T0 + days(3) + SECOND, sweep)
    at(T0 + days(9), sweep)
    assert subjects() == [f"{awaiting.reference}: your signed LAGPeR agreement is still awaited"]
    assert mail.outbox[0].to == ["alice@uni.example"]
    assert "for 3 days" in mail.outbox[0].body
    notification = Notification.objects.get(kind="signature_nudge")  # the submission receipt is the other
    assert (notification.kind, notification.period, notification.attempts) == (
        "signature_nudge",
        f"day-3 since {T0:%Y-%m-%dT%H:%M:%S}",
        1,
    )
    assert notification.sent_at == T0 + days(3)


def test_a_rerun_writes_nothing_for_a_nudge_already_sent(awaiting, sweep):
    """A nudge is named after the start of its wait: a sweep looks up which were sent instead of
    inserting them again to see them ignored (thousands of waits, each batch a pause on SQLite)."""
    at(T0 + days(3), sweep)
    sent = Notification.objects.count()
    with CaptureQueriesContext(connection) as rerun:
        at(T0 + days(4), sweep)
    assert Notification.objects.count() == sent
    assert not [q["sql"] for q in rerun.captured_queries if q["sql"].startswith("INSERT")]


def test_second_nudge_on_day_ten(awaiting, sweep):
    at(T0 + days(3), sweep)
    at(T0 + days(10), sweep)
    at(T0 + days(10), sweep)
    assert len(mail.outbox) == 2
    assert "for 10 days" in mail.outbox[1].body


def test_late_sweep_sends_only_the_latest_nudge(awaiting, sweep):
    at(T0 + days(12), sweep)
    assert len(mail.outbox) == 1
    assert "for 10 days" in mail.outbox[0].body


def test_stale_request_withdrawn_on_day_thirty_with_notice(awaiting, sweep):
    at(T0 + days(30) - SECOND, sweep)
    awaiting.refresh_from_db()
    assert awaiting.status == "awaiting_signature"
    mail.outbox.clear()

    at(T0 + days(30), sweep)
    at(T0 + days(31), sweep)
    awaiting.refresh_from_db()
    assert awaiting.status == "withdrawn"
    event = awaiting.events.last()
    assert (event.actor, event.from_status, event.note) == (
        None,
        "awaiting_signature",
        "Withdrawn automatically: awaiting signed agreement for 30 days.",
    )
    assert subjects() == [f"{awaiting.reference}: your LAGPeR request was withdrawn"]


def test_returned_request_nudged_from_its_return_then_withdrawn(alice, lagper, bob, sweep):
    with time_machine.travel(T0 - days(20), tick=False):
        returned = journeys.under_review(applicant=alice, dataset=lagper)
    with time_machine.travel(T0, tick=False):
        journeys.returned(returned, reviewer=bob)
    at(T0 + days(3), sweep)
    assert subjects() == [f"{returned.reference}: your LAGPeR request still needs your correction"]
    at(T0 + days(30), sweep)
    returned.refresh_from_db()
    assert returned.status == "withdrawn"
    assert subjects()[1:] == [f"{returned.reference}: your LAGPeR request was withdrawn"]


def test_a_new_wait_after_a_return_gets_its_own_nudges(alice, lagper, bob, sweep):
    with time_machine.travel(T0, tick=False):
        awaiting = journeys.submitted(applicant=alice, dataset=lagper)
    at(T0 + days(3), sweep)
    with time_machine.travel(T0 + days(5), tick=False):
        journeys.returned(journeys.signed_copy_sent(awaiting), reviewer=bob)
        journeys.resubmitted(awaiting, unit="Vision Lab")
    at(T0 + days(8), sweep)
    nudge = f"{awaiting.reference}: your signed LAGPeR agreement is still awaited"
    assert subjects() == [nudge, nudge]  # one for each wait
    assert Notification.objects.filter(kind="signature_nudge").count() == 2


# --- Expiry -----------------------------------------------------------------------------------------


def test_licence_expires_at_the_exact_instant(licence, sweep):
    expiry = licence.expires_at
    at(expiry - SECOND, sweep)
    licence.refresh_from_db()
    assert licence.status == "approved"
    mail.outbox.clear()  # the 7-day notice

    at(expiry, sweep)
    at(expiry + SECOND, sweep)
    licence.refresh_from_db()
    assert licence.status == "expired"
    assert licence.events.last().actor is None
    assert subjects() == [f"{licence.reference}: your LAGPeR licence has expired"]


def test_expiry_notices_thirty_and_seven_days_before(licence, sweep):
    expiry = licence.expires_at
    at(expiry - days(30) - SECOND, sweep)
    assert mail.outbox == []
    at(expiry - days(30), sweep)
    at(expiry - days(8), sweep)
    assert subjects() == [f"{licence.reference}: your LAGPeR licence expires in 30 days"]
    at(expiry - days(7), sweep)
    at(expiry - days(1), sweep)
    assert subjects()[1:] == [f"{licence.reference}: your LAGPeR licence expires in 7 days"]


def test_revoked_licence_is_neither_reminded_nor_expired(licence, bob, sweep):
    at(T0 + days(1), lambda: request_revoke(request=licence, reviewer=bob, reason="Shared with a company."))
    at(licence.expires_at + days(1), sweep)
    at(T0 + SIX_MONTHS, sweep)
    licence.refresh_from_db()
    assert (licence.status, mail.outbox) == ("revoked", [])


# --- Periodic terms reminder ------------------------------------------------------------------------


def test_terms_reminder_at_month_six_and_twelve_not_between(licence, sweep):
    month_6 = T0 + relativedelta(months=6)
    month_12 = T0 + relativedelta(months=12)
    at(month_6 - SECOND, sweep)
    assert mail.outbox == []

    at(month_6, sweep)
    at(month_6 + days(1), sweep)
    at(month_6 + days(90), sweep)
    at(month_12 - SECOND, sweep)
    assert subjects() == [f"{licence.reference}: a reminder of your LAGPeR licence terms"]

    at(month_12, sweep)
    assert len(mail.outbox) == 2
    reminder = mail.outbox[1]
    assert "active for 12 months" in reminder.body
    assert licence.dataset.citation_text in reminder.body  # as text, not HTML-escaped
    assert "@inproceedings{wang2025secap," in reminder.body
    assert "no commercial use" in reminder.body and "including other units" in reminder.body
    report_url = reverse("reminders:report_publication", args=[licence.reference])
    assert f"http://127.0.0.1:8000{report_url}" in reminder.body
    html = reminder.alternatives[0].content
    assert f'href="http://127.0.0.1:8000{report_url}"' in html


def test_terms_reminder_skipped_when_the_beat_was_down_for_months(licence, sweep):
    at(T0 + relativedelta(months=8), sweep)  # month 8: month 6 is long past
    assert mail.outbox == []


def test_terms_reminder_on_month_end_clamps_to_the_shorter_month(alice, lagper, bob, sweep):
    year = start().year if start().date() < datetime.date(start().year, 8, 31) else start().year + 1
    approved = datetime.datetime(year, 8, 31, 12, 0, tzinfo=UTC)
    february_end = datetime.datetime(year + 1, 2, calendar.monthrange(year + 1, 2)[1], 12, 0, tzinfo=UTC)
    with time_machine.travel(approved, tick=False):
        journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    at(february_end - datetime.timedelta(minutes=1), sweep)
    assert mail.outbox == []
    at(february_end, sweep)
    assert len(mail.outbox) == 1


# --- Exactly once, retries, failures ---------------------------------------------------------------


def test_a_send_task_that_runs_twice_sends_once(licence, django_capture_on_commit_callbacks):
    with time_machine.travel(T0 + SIX_MONTHS, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            assert reminders.run_sweeps() == 1
        notification = Notification.objects.get(kind="terms_reminder")
        assert tasks.send_notification(notification.pk) is True
        assert tasks.send_notification(notification.pk) is False
    assert len(mail.outbox) == 1


class FlakyBackend(LocmemBackend):
    """Refuses the first `failures` messages, like an SMTP server that is briefly down."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_reminders.FlakyBackend"
    yield FlakyBackend
    FlakyBackend.failures = 0


def test_failed_send_is_retried_then_sent(licence, sweep, flaky_mail):
    flaky_mail.failures = 2
    at(T0 + SIX_MONTHS, sweep)
    notification = Notification.objects.get(kind="terms_reminder")
    assert len(mail.outbox) == 1
    assert (notification.attempts, notification.failed_at, notification.last_error) == (3, None, "")
    assert notification.sent_at is not None


def test_send_that_keeps_failing_is_marked_failed_and_shown_to_admins(
    licence, sweep, flaky_mail, admin_client, settings
):
    flaky_mail.failures = 100
    at(T0 + SIX_MONTHS, sweep)
    notification = Notification.objects.get(kind="terms_reminder")
    assert mail.outbox == []
    assert notification.attempts == settings.NOTIFICATION_MAX_RETRIES + 1
    assert notification.failed_at is not None and notification.sent_at is None
    assert notification.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"

    at(T0 + (SIX_MONTHS + days(1)), sweep)  # the next sweep does not quietly try again
    assert Notification.objects.get(kind="terms_reminder").attempts == notification.attempts

    failed = admin_client.get(reverse("admin:requests_app_notification_changelist") + "?delivery=failed")
    sent = admin_client.get(reverse("admin:requests_app_notification_changelist") + "?delivery=sent")
    assert licence.reference in failed.content.decode()
    assert licence.reference not in sent.content.decode()


def test_admin_sends_a_failed_notification_again_once_mail_works(
    licence, sweep, flaky_mail, admin_client, django_capture_on_commit_callbacks
):
    flaky_mail.failures = 100
    at(T0 + SIX_MONTHS, sweep)
    flaky_mail.failures = 0
    notification = Notification.objects.get(kind="terms_reminder")
    changelist = reverse("admin:requests_app_notification_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist, {"action": "send_failed_again", "_selected_action": [notification.pk]}, follow=True
        )
        admin_client.post(changelist, {"action": "send_failed_again", "_selected_action": [notification.pk]})
    assert "1 failed notification(s) queued to be sent again." in response.content.decode()
    notification.refresh_from_db()
    assert (notification.failed_at, notification.attempts) == (None, 1)
    assert subjects() == [f"{licence.reference}: a reminder of your LAGPeR licence terms"]


# --- Reviewers' digest ------------------------------------------------------------------------------


@pytest.fixture
def dave(lagper):
    """Another LAGPeR reviewer, who turned the digest off."""
    reviewer = UserFactory(username="dave", email="dave@nwpu.example")
    lagper.reviewers.add(reviewer)
    ReviewerPreference.objects.create(user=reviewer, daily_digest=False)
    return reviewer


def digest(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return reminders.claim_reviewer_digests()


def test_digest_lists_requests_past_the_promised_turnaround(
    alice, lagper, bob, dave, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        late = journeys.under_review(applicant=alice, dataset=lagper)
    with time_machine.travel(T0 + days(10), tick=False):
        journeys.under_review(applicant=alice, dataset=lagper)  # in time
    # 10 working days after a Monday is the Monday two weeks later; overdue is strictly after.
    at(T0 + days(14), lambda: digest(django_capture_on_commit_callbacks))
    assert mail.outbox == []

    at(T0 + days(14) + SECOND, lambda: digest(django_capture_on_commit_callbacks))
    at(T0 + days(14) + datetime.timedelta(hours=5), lambda: digest(django_capture_on_commit_callbacks))
    assert subjects() == [f"1 request past the promised turnaround: {late.reference}"]
    assert mail.outbox[0].to == ["bob@nwpu.example"]

    at(T0 + days(15), lambda: digest(django_capture_on_commit_callbacks))  # the next day, again
    assert len(mail.outbox) == 2


def test_bob_turns_his_digest_off(client, bob):
    client.force_login(bob)
    url = reverse("reminders:digest_preference")
    digest_box = re.compile(r'<input[^>]*name="daily_digest"[^>]*>')
    assert "checked" in digest_box.search(client.get(url).content.decode()).group()
    client.post(url, {})
    assert ReviewerPreference.objects.get(user=bob).daily_digest is False
    assert "checked" not in digest_box.search(client.get(url).content.decode()).group()  # the saved choice
    client.post(url, {"daily_digest": "on"})
    assert ReviewerPreference.objects.get(user=bob).daily_digest is True


def test_charlie_has_no_digest_to_configure(client, charlie):
    client.force_login(charlie)
    assert client.get(reverse("reminders:digest_preference")).status_code == 404


def test_the_beat_schedule_names_real_tasks_at_the_default_periods():
    from accessportal.celery import app

    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    # The defaults: a sweep every quarter of an hour, the digest at 07:00.
    assert schedule["reminders-sweep"]["schedule"] == 15 * 60
    assert schedule["reviewer-digest"]["schedule"].hour == {7}


def test_a_replaced_signed_copy_does_not_restart_the_clock_of_the_digest_or_the_queue(
    alice, lagper, bob, clock, django_capture_on_commit_callbacks
):

    clock.move_to(T0)
    request = journeys.under_review(applicant=alice, dataset=lagper)
    clock.move_to(T0 + days(13))
    journeys.signed_copy_sent(request)  # a better scan, the day before the promise runs out
    clock.move_to(T0 + days(14) + SECOND)
    digest(django_capture_on_commit_callbacks)
    assert subjects() == [f"1 request past the promised turnaround: {request.reference}"]
    counts = queue_counts(datasets=[lagper], filters=QueueFilters(), now=T0 + days(14) + SECOND)
    [row] = mark_waiting(requests=[request], now=T0 + days(14) + SECOND)
    assert (str(counts.overdue), row.overdue) == ("1", True)
