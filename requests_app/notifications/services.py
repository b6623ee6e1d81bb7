"""Notifications: claimed once, sent once, retried, and never silently dropped.

Whoever wants an email sent (a reminder sweep, a reviewer's decision) claims it: one
Notification row per (request, kind, period), inserted with ignore_conflicts in the caller's
transaction, so a second claim of the same email is impossible at the database level. The send
is enqueued on commit (tasks.send_notifications → notifications_send); a failure is retried alone
with backoff by tasks.send_notification and, when Celery gives up, marked failed for the admins.

The lifecycle of a notification is these services: claimed (`notifications_claim`,
`notification_claim`, and for a sweep `notifications_claim_in_batches`), sent or released with its error (`notifications_send`), failed for good
(`notification_give_up`), and sent again by an admin (`notifications_resend` for the failed ones,
`notifications_resend_uncertain` for those whose worker died mid-send).
"""

import datetime
import logging
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .. import clock
from ..models import Notification
from ..ops.batches import in_batches
from ..ops.uncertain import uncertain
from ..review.selectors import overdue_for_review
from . import emails

logger = logging.getLogger(__name__)

Kind = Notification.Kind


def notifications_claim(*, kind: str, notifications: list[Notification], now: datetime.datetime) -> int:
    """Insert the notifications nobody has claimed yet; enqueue a send for each one this call won.

    Returns how many this call won. Inside the caller's transaction: no claim without its cause.
    """
    if not notifications:
        return 0
    token = secrets.token_hex(16)
    for notification in notifications:
        notification.kind, notification.created_at, notification.claim_token = kind, now, token
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=500)
        won = list(Notification.objects.filter(claim_token=token).order_by().values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue(won))
    return len(won)


def notifications_claim_in_batches(*, kind: str, notifications: list[Notification], now: datetime.datetime) -> int:
    """A sweep's claims: notifications_claim batch by batch, each batch committed on its own.

    For reminders due by time alone, which have no other write to be committed with. Returns how
    many were won.
    """
    return sum(
        notifications_claim(kind=kind, notifications=list(batch), now=now) for batch in in_batches(notifications)
    )


def _enqueue(notification_ids: list[int]) -> None:
    from ..tasks import send_notifications  # tasks import this module

    size = settings.NOTIFICATION_SEND_BATCH
    for start in range(0, len(notification_ids), size):
        send_notifications.delay(notification_ids[start : start + size])


def notification_claim(*, kind: str, request, period: str, now: datetime.datetime) -> bool:
    """Claim one email about `request`; False when it was claimed before."""
    return bool(
        notifications_claim(kind=kind, notifications=[Notification(request_id=request.pk, period=period)], now=now)
    )


def notification_claim_for_decision(*, kind: str, request, now: datetime.datetime) -> None:
    """Claim the email telling the applicant about a decision taken at `now` (one per decision)."""
    notification_claim(kind=kind, request=request, period=f"{now:%Y-%m-%dT%H:%M:%S.%f}", now=now)


def _period_number(notification: Notification) -> int:
    number = re.search(r"\d+", notification.period)
    if number is None:
        raise ValueError(f"The period {notification.period!r} of notification {notification.pk} has no number.")
    return int(number.group())


def _send_digest(notification: Notification) -> None:
    reviewer = notification.recipient
    assert reviewer is not None  # a digest is claimed for its reviewer
    waiting = list(overdue_for_review(now=clock.now(), datasets=reviewer.reviewed_datasets.all()))
    if waiting:  # decided since the claim: nothing left to say
        emails.send_reviewer_digest(reviewer=reviewer, requests=waiting)


SENDERS: dict[str, Callable[[Notification], None]] = {
    Kind.TERMS_REMINDER: lambda n: emails.send_terms_reminder(request=n.request, months=_period_number(n)),
    Kind.SIGNATURE_NUDGE: lambda n: emails.send_signature_nudge(request=n.request, days=_period_number(n)),
    Kind.RETURNED_NUDGE: lambda n: emails.send_returned_nudge(request=n.request, days=_period_number(n)),
    Kind.STALE_WITHDRAWN: lambda n: emails.send_stale_withdrawn(request=n.request, days=_period_number(n)),
    Kind.EXPIRY_NOTICE: lambda n: emails.send_expiry_notice(request=n.request, days=_period_number(n)),
    Kind.EXPIRED: lambda n: emails.send_licence_expired(request=n.request),
    Kind.REVIEWER_DIGEST: _send_digest,
    Kind.REQUEST_APPROVED: lambda n: emails.request_approved(n.request),
    Kind.REQUEST_REJECTED: lambda n: emails.request_rejected(n.request),
    Kind.REQUEST_RETURNED: lambda n: emails.request_returned(n.request),
    Kind.REQUEST_REVOKED: lambda n: emails.request_revoked(n.request),
    Kind.REACCEPTANCE_NEEDED: lambda n: emails.reacceptance_needed(n.request),
    Kind.REACCEPTANCE_NUDGE: lambda n: emails.reacceptance_nudge(n.request, days=int(n.period.rsplit("-", 1)[1])),
    Kind.EXECUTED_AGREEMENT: lambda n: emails.executed_agreement(n.request),
}


def notifications_send(*, notification_ids: list[int]) -> tuple[list[int], list[tuple[int, Exception]]]:
    """Send the claimed notifications among `notification_ids` that nobody sent or is sending.

    One conditional UPDATE claims them (claimed_at, a fresh claim_token): whatever another run
    already sent, gave up on or is sending is left alone, so a task delivered twice, or by two
    workers, sends once. Sent rows are marked in one UPDATE; a failed one is released with its
    error. Returns (sent ids, [(id, error)]). Runs outside any transaction: a claim must be
    visible before its email goes.
    """
    token = secrets.token_hex(16)
    Notification.objects.filter(
        pk__in=notification_ids, sent_at__isnull=True, failed_at__isnull=True, claimed_at__isnull=True
    ).update(claimed_at=clock.now(), claim_token=token, attempts=F("attempts") + 1)
    claimed = Notification.objects.filter(claim_token=token).select_related(
        "request__dataset", "request__applicant", "recipient"
    )
    sent, failures = [], []
    for notification in claimed:
        try:
            SENDERS[notification.kind](notification)
        except Exception as error:  # any error: recorded on the row, never lost
            failures.append((notification.pk, error))
        else:
            sent.append(notification.pk)
    Notification.objects.filter(pk__in=sent).update(claimed_at=None, sent_at=clock.now(), last_error="")
    for pk, failure in failures:
        Notification.objects.filter(pk=pk).update(claimed_at=None, last_error=_describe(failure))
    return sent, failures


def notification_send(*, notification_id: int) -> bool:
    """Send one notification (see notifications_send); re-raise its send error so the task retries."""
    sent, failures = notifications_send(notification_ids=[notification_id])
    if failures:
        raise failures[0][1]
    return bool(sent)


def notification_give_up(*, notification_id: int, error: BaseException) -> None:
    """The retries are exhausted (or the error is not one worth retrying): show it to the admins."""
    logger.error("Notification %s failed for good: %r", notification_id, _describe(error))
    Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        claimed_at=None, failed_at=clock.now(), last_error=_describe(error)
    )


@transaction.atomic
def notifications_resend(*, notification_ids: list[int]) -> int:
    """An admin retries notifications that gave up (say, once the mail server is fixed)."""
    ids = list(
        Notification.objects.filter(pk__in=notification_ids, failed_at__isnull=False, sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Notification.objects.filter(pk__in=ids).update(failed_at=None, attempts=0)
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


@transaction.atomic
def notifications_resend_uncertain(*, notification_ids: list[int], now: datetime.datetime | None = None) -> int:
    """An admin, having checked (say, with the recipient), sends uncertain notifications again."""
    now = now or clock.now()
    ids = list(uncertain(Notification.objects.filter(pk__in=notification_ids), now=now).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        claimed_at=None, last_error="The worker sending it stopped; sent again by an admin."
    )
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
