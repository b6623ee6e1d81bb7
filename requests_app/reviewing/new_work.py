"""Reviewers hear of new work; applicants get a receipt for what they sent.

New work is an applicant's move that a reviewer will have to look at: a submission, a signed copy
(first or replacement, including the one signed after a correction), a correction, a renewal that
waits for a reviewer and a changed agreement accepted. Each such
RequestEvent claims, in the transaction that writes it, one email per reviewer of the dataset who
wants one per event, and the applicant's receipt; reviewers who chose a daily email get one a day
(`claim_new_work_digests`, from the reviewers' digest sweep) listing the day's new work. Claimed
like every email (notifications.py): sent once, after commit, retried on failure.
"""

import datetime
import re

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy

from .. import clock, workflow
from ..models import Dataset, Notification, RequestEvent, ReviewerPreference
from ..notifications import emails
from ..notifications import services as notifications

Kind = Notification.Kind
NewWork = ReviewerPreference.NewWork

# What each kind of new work is called in the reviewers' emails (in each reviewer's language).
NEW_WORK = {
    workflow.SUBMIT.service: gettext_lazy("submitted"),
    workflow.UPLOAD_SIGNED_COPY.service: gettext_lazy("signed copy received"),
    workflow.RESUBMIT.service: gettext_lazy("corrected and resubmitted"),
    workflow.RENEWAL_SUBMIT.service: gettext_lazy("renewal requested"),
    workflow.REACCEPT.service: gettext_lazy("changed agreement accepted"),
}
RECEIPTS = {workflow.SUBMIT.service: Kind.SUBMISSION_RECEIPT, workflow.UPLOAD_SIGNED_COPY.service: Kind.UPLOAD_RECEIPT}
DIGEST_WINDOW = datetime.timedelta(days=1)


def _event_period(event: RequestEvent, reviewer_id: int | None = None) -> str:
    return f"event-{event.pk}" + (f"-reviewer-{reviewer_id}" if reviewer_id else "")


def _event_of(notification: Notification) -> RequestEvent:
    event_id = int(re.match(r"event-(\d+)", notification.period).group(1))
    return RequestEvent.objects.select_related("request__dataset", "request__applicant").get(pk=event_id)


def reviewers_wanting_each(event: RequestEvent):
    """The dataset's reviewers who want an email per event, except whoever made it."""
    return (
        event.request.dataset.reviewers.filter(is_active=True)
        .exclude(pk=event.actor_id)
        .exclude(reviewer_preference__new_work__in=[NewWork.DAILY, NewWork.NONE])
        .values_list("pk", flat=True)
    )


def claim_for_event(event: RequestEvent) -> int:
    """Claim the emails `event` calls for; in the event's own transaction, so one never goes without the other."""
    if event.transition not in NEW_WORK:
        return 0
    claimed = notifications.notifications_claim(
        kind=Kind.NEW_WORK,
        notifications=[
            Notification(request_id=event.request_id, recipient_id=pk, period=_event_period(event, pk))
            for pk in reviewers_wanting_each(event)
        ],
        now=event.at,
    )
    if event.transition in RECEIPTS:
        claimed += notifications.notifications_claim(
            kind=RECEIPTS[event.transition],
            notifications=[Notification(request_id=event.request_id, period=_event_period(event))],
            now=event.at,
        )
    return claimed


@receiver(post_save, sender=RequestEvent, dispatch_uid="reviewing.new_work")
def _event_written(sender, instance: RequestEvent, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        claim_for_event(instance)


def new_work_events(*, datasets, since: datetime.datetime, until: datetime.datetime):
    """The new work in `datasets` recorded in (since, until], oldest first."""
    return (
        RequestEvent.objects.filter(
            request__dataset__in=datasets, transition__in=list(NEW_WORK), at__gt=since, at__lte=until
        )
        .select_related("request__dataset")
        .order_by("at", "pk")
    )


def claim_new_work_digests(*, now: datetime.datetime | None = None) -> int:
    """Once a day, each reviewer who chose the daily email and has new work from the last day."""
    now = now or clock.now()
    busy = new_work_events(datasets=Dataset.objects.all(), since=now - DIGEST_WINDOW, until=now).values(
        "request__dataset"
    )
    reviewers = (
        get_user_model()
        .objects.filter(reviewed_datasets__in=busy, is_active=True, reviewer_preference__new_work=NewWork.DAILY)
        .distinct()
        .values_list("pk", flat=True)
    )
    period = f"new-work-{clock.local_date(now).isoformat()}"
    return notifications.notifications_claim_in_batches(
        kind=Kind.NEW_WORK_DIGEST,
        notifications=[Notification(recipient_id=pk, period=period) for pk in reviewers],
        now=now,
    )


def _send_new_work(notification: Notification) -> None:
    event = _event_of(notification)
    emails.new_work(reviewer=notification.recipient, event=event, what=NEW_WORK[event.transition])


def _send_new_work_digest(notification: Notification) -> None:
    reviewer = notification.recipient
    events = list(
        new_work_events(
            datasets=reviewer.reviewed_datasets.all(),
            since=notification.created_at - DIGEST_WINDOW,
            until=notification.created_at,
        )
    )
    if events:
        emails.new_work_digest(reviewer=reviewer, items=[(event, NEW_WORK[event.transition]) for event in events])


def _send_submission_receipt(notification: Notification) -> None:
    emails.submission_receipt(notification.request)


def _send_upload_receipt(notification: Notification) -> None:
    event = _event_of(notification)
    # The copy is stored just after its event, in the same transaction.
    copy = (
        event.request.signed_copies.filter(uploaded_at__gte=event.at, countersigned=False)
        .order_by("uploaded_at", "pk")
        .first()
    )
    emails.upload_receipt(event.request, signed_copy=copy)


def _send_licence_extended(notification: Notification) -> None:
    emails.licence_extended(notification.request)


def _send_renewal_refused(notification: Notification) -> None:
    renewal_id = int(notification.period.removeprefix("renewal-"))
    emails.renewal_refused(notification.request, renewal=notification.request.renewals.get(pk=renewal_id))


notifications.SENDERS.update(
    {
        Kind.LICENCE_EXTENDED: _send_licence_extended,
        Kind.NEW_WORK: _send_new_work,
        Kind.RENEWAL_REFUSED: _send_renewal_refused,
        Kind.NEW_WORK_DIGEST: _send_new_work_digest,
        Kind.SUBMISSION_RECEIPT: _send_submission_receipt,
        Kind.UPLOAD_RECEIPT: _send_upload_receipt,
    }
)
