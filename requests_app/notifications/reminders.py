"""Reminders: find what is due, claim it once, send it once.

A sweep
1. selects only the due rows, with datetime ranges on indexed columns and an anti-join on the
   Notification unique index for what was already sent;
2. claims them: bulk-inserts one Notification per (request, kind, period) with
   ignore_conflicts and a fresh claim_token, then re-selects the rows carrying its own token. A
   rival sweep's insert of the same key was ignored, so each reminder is won by exactly one sweep;
3. enqueues send tasks for the Notifications it won, in batches, on commit (notifications.py).

Status changes (stale requests withdrawn, licences expired) are the services request_expire and
request_withdraw_stale; their conditional UPDATE lets exactly one sweep win, and the notice is
claimed in the same transaction, so a status change never happens without its notice.

Every write is done in small batches (SWEEP_BATCH_SIZE rows), each committed on its own with a
pause between two on SQLite (ops/batches.py), so a catch-up sweep over thousands of due requests
never keeps an applicant's POST waiting for the database.
"""

import datetime
import itertools

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Min, OuterRef

from .. import clock
from ..agreement_format import reacceptance
from ..applications.selectors import active_licences
from ..applications.services import request_expire, request_withdraw_stale
from ..models import Dataset, LicenseRequest, Notification
from ..ops.batches import in_batches
from ..review.selectors import overdue_for_review, with_status_since
from ..workflow import TransitionNotAllowed
from .services import notifications_claim_in_batches

Status = LicenseRequest.Status
Kind = Notification.Kind

# Moving a date by whole months clamps the day (31 Aug + 6 months = 28 Feb), by at most 3 days.
MONTH_CLAMP = datetime.timedelta(days=4)


def run_sweeps(*, now: datetime.datetime | None = None) -> int:
    """Everything the periodic sweep does, in the order that keeps notices sensible. Returns claims."""
    now = now or clock.now()
    return (
        expire_licences(now=now)
        + claim_expiry_notices(now=now)
        + claim_terms_reminders(now=now)
        + withdraw_stale_requests(now=now)
        + claim_pending_nudges(now=now)
        + reacceptance.claim_nudges(now=now)
    )


def _already_claimed(kind: str, period: str) -> Exists:
    return Exists(Notification.objects.filter(request=OuterRef("pk"), kind=kind, period=period))


# How many requests one lookup of what was already claimed names (well under any database's parameter limit).
CLAIMED_LOOKUP_CHUNK = 1000


def _unclaimed(kind: str, notifications: list[Notification]) -> list[Notification]:
    """Those of `notifications` (request reminders) not claimed before: indexed lookups of their periods.

    The claim's ignored conflicts would make a second one harmless too, but a sweep would then
    re-insert every reminder already sent, batch by batch, each batch a pause on SQLite.
    """
    claimed: set[tuple[int, str]] = set()
    for start in range(0, len(notifications), CLAIMED_LOOKUP_CHUNK):
        chunk = notifications[start : start + CLAIMED_LOOKUP_CHUNK]
        claimed.update(
            Notification.objects.filter(
                kind=kind, request_id__in={n.request_id for n in chunk}, period__in={n.period for n in chunk}
            ).values_list("request_id", "period")
        )
    return [n for n in notifications if (n.request_id, n.period) not in claimed]


def claim_terms_reminders(*, now: datetime.datetime) -> int:
    """Every REMINDER_TERMS_EVERY_MONTHS months after approval, while the licence is active.

    The reminder for month m is due once approved_at + m months has passed, and for
    REMINDER_CATCH_UP_DAYS after: the SQL range selects approved_at in that window (padded for
    month clamping), the exact check is done on the few rows it returns.
    """
    every = settings.REMINDER_TERMS_EVERY_MONTHS
    catch_up_from = now - datetime.timedelta(days=settings.REMINDER_CATCH_UP_DAYS)
    active = active_licences(now=now).filter(approved_at__isnull=False)
    oldest = active.aggregate(oldest=Min("approved_at"))["oldest"]
    due = []
    months = every
    while oldest is not None and now - relativedelta(months=months) >= oldest - MONTH_CLAMP:
        period = f"month-{months}"
        candidates = active.filter(
            approved_at__gt=catch_up_from - relativedelta(months=months) - MONTH_CLAMP,
            approved_at__lte=now - relativedelta(months=months) + MONTH_CLAMP,
        ).exclude(_already_claimed(Kind.TERMS_REMINDER, period))
        for pk, approved_at in candidates.values_list("pk", "approved_at"):
            if catch_up_from < approved_at + relativedelta(months=months) <= now:
                due.append(Notification(request_id=pk, period=period))
        months += every
    return notifications_claim_in_batches(kind=Kind.TERMS_REMINDER, notifications=due, now=now)


def expiry_period(days: int, expires_at: datetime.datetime) -> str:
    """A notice's period names the expiry it announces: a licence extended to a new date gets its own."""
    return f"{days}-days-before-{expires_at:%Y-%m-%dT%H:%M}"


def claim_expiry_notices(*, now: datetime.datetime) -> int:
    """EXPIRY_NOTICE_DAYS before expiry; a licence inside the 7-day window gets the 7-day notice only.

    The candidates are the licences expiring within the window (a range on an indexed column);
    which of them were already told about this very expiry is a lookup of their periods.
    """
    claimed = 0
    nearer = 0
    for days in sorted(settings.EXPIRY_NOTICE_DAYS):
        window = (
            active_licences(now=now)
            .filter(
                expires_at__gt=now + datetime.timedelta(days=nearer),
                expires_at__lte=now + datetime.timedelta(days=days),
            )
            .values_list("pk", "expires_at")
        )
        due = [Notification(request_id=pk, period=expiry_period(days, expires_at)) for pk, expires_at in window]
        claimed += notifications_claim_in_batches(
            kind=Kind.EXPIRY_NOTICE, notifications=_unclaimed(Kind.EXPIRY_NOTICE, due), now=now
        )
        nearer = days
    return claimed


def expire_licences(*, now: datetime.datetime) -> int:
    """At expires_at the licence becomes expired, with notice."""
    due = LicenseRequest.objects.filter(status=Status.APPROVED, expires_at__lte=now).only("pk", "status", "reference")
    expired = 0
    for batch in in_batches(list(due)):  # read them all before writing
        with transaction.atomic():
            for licence in batch:
                try:
                    request_expire(request=licence, now=now)
                except TransitionNotAllowed:
                    continue  # revoked, or another sweep expired it first
                expired += 1
    return expired


def _pending(status: str):
    return with_status_since(queryset=LicenseRequest.objects.filter(status=status))


PENDING_NUDGES = {Status.AWAITING_SIGNATURE: Kind.SIGNATURE_NUDGE, Status.RETURNED: Kind.RETURNED_NUDGE}


def claim_pending_nudges(*, now: datetime.datetime) -> int:
    """NUDGE_AFTER_DAYS into a wait for a signed agreement or a correction; the latest nudge only.

    A wait's period is named after the day its status began, so which nudges were sent is looked up.
    """
    claimed = 0
    steps = sorted(settings.NUDGE_AFTER_DAYS) + [settings.STALE_AFTER_DAYS]
    for status, kind in PENDING_NUDGES.items():
        for days, next_days in itertools.pairwise(steps):
            due = _pending(status).filter(
                status_since__lte=now - datetime.timedelta(days=days),
                status_since__gt=now - datetime.timedelta(days=next_days),
            )
            nudges = [
                Notification(request_id=pk, period=Notification.wait_period(days=days, since=since))
                for pk, since in due.values_list("pk", "status_since")
            ]
            claimed += notifications_claim_in_batches(kind=kind, notifications=_unclaimed(kind, nudges), now=now)
    return claimed


def withdraw_stale_requests(*, now: datetime.datetime) -> int:
    """STALE_AFTER_DAYS into such a wait the request is withdrawn, with notice."""
    days = settings.STALE_AFTER_DAYS
    withdrawn = 0
    for status in PENDING_NUDGES:
        due = _pending(status).filter(status_since__lte=now - datetime.timedelta(days=days))
        for batch in in_batches(list(due.only("pk", "status", "reference"))):  # read them all before writing
            with transaction.atomic():
                for request in batch:
                    try:
                        request_withdraw_stale(request=request, waited_since=request.status_since, days=days, now=now)
                    except TransitionNotAllowed:
                        continue  # the applicant acted, or another sweep withdrew it first
                    withdrawn += 1
    return withdrawn


def claim_reviewer_digests(*, now: datetime.datetime | None = None) -> int:
    """Once a day, each reviewer (who did not opt out) of a dataset with overdue requests."""
    now = now or clock.now()
    late_datasets = set(
        overdue_for_review(now=now, datasets=Dataset.objects.all()).values_list("dataset_id", flat=True)
    )
    reviewers = (
        get_user_model()
        .objects.filter(reviewed_datasets__in=late_datasets, is_active=True)
        .exclude(reviewer_preference__daily_digest=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    period = clock.local_date(now).isoformat()
    return notifications_claim_in_batches(
        kind=Kind.REVIEWER_DIGEST,
        notifications=[Notification(recipient_id=pk, period=period) for pk in reviewers],
        now=now,
    )
