"""Reminders: find what is due, claim it once, send it once.

A sweep
1. selects only the due rows, with datetime ranges on indexed columns and an anti-join on the
   Notification unique index for what was already sent;
2. claims them: bulk-inserts one Notification per (request, kind, period) with
   ignore_conflicts and a fresh claim_token, then re-selects the rows carrying its own token. A
   rival sweep's insert of the same key was ignored, so each reminder is won by exactly one sweep;
3. enqueues send tasks for the Notifications it won, in batches, on commit (notifications.py).

Status changes (stale requests withdrawn, licences expired) go through services.transition,
whose conditional UPDATE lets exactly one sweep win; the notice is claimed in the same
transaction, so a status change never happens without its notice.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone

from . import selectors, services
from .models import Dataset, LicenseRequest, Notification
from .notifications import claim

Status = LicenseRequest.Status
Kind = Notification.Kind

# Moving a date by whole months clamps the day (31 Aug + 6 months = 28 Feb), by at most 3 days.
MONTH_CLAMP = datetime.timedelta(days=4)


def run_sweeps(*, now: datetime.datetime | None = None) -> int:
    """Everything the periodic sweep does, in the order that keeps notices sensible. Returns claims."""
    now = now or timezone.now()
    return (
        expire_licences(now=now)
        + claim_expiry_notices(now=now)
        + claim_terms_reminders(now=now)
        + withdraw_stale_requests(now=now)
        + claim_pending_nudges(now=now)
    )


def _already_claimed(kind: str, period: str) -> Exists:
    return Exists(Notification.objects.filter(request=OuterRef("pk"), kind=kind, period=period))


def claim_terms_reminders(*, now: datetime.datetime) -> int:
    """Every REMINDER_TERMS_EVERY_MONTHS months after approval, while the licence is active.

    The reminder for month m is due once approved_at + m months has passed, and for
    REMINDER_CATCH_UP_DAYS after: the SQL range selects approved_at in that window (padded for
    month clamping), the exact check is done on the few rows it returns.
    """
    every = settings.REMINDER_TERMS_EVERY_MONTHS
    catch_up_from = now - datetime.timedelta(days=settings.REMINDER_CATCH_UP_DAYS)
    active = selectors.active_licences(now=now).filter(approved_at__isnull=False)
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
    return claim(Kind.TERMS_REMINDER, due, now=now)


def claim_expiry_notices(*, now: datetime.datetime) -> int:
    """EXPIRY_NOTICE_DAYS before expiry; a licence inside the 7-day window gets the 7-day notice only."""
    claimed = 0
    nearer = 0
    for days in sorted(settings.EXPIRY_NOTICE_DAYS):
        period = f"{days}-days-before"
        due = (
            selectors.active_licences(now=now)
            .filter(
                expires_at__gt=now + datetime.timedelta(days=nearer),
                expires_at__lte=now + datetime.timedelta(days=days),
            )
            .exclude(_already_claimed(Kind.EXPIRY_NOTICE, period))
            .values_list("pk", flat=True)
        )
        claimed += claim(Kind.EXPIRY_NOTICE, [Notification(request_id=pk, period=period) for pk in due], now=now)
        nearer = days
    return claimed


@transaction.atomic
def expire_licences(*, now: datetime.datetime) -> int:
    """At expires_at the licence becomes expired, with notice."""
    due = LicenseRequest.objects.filter(status=Status.APPROVED, expires_at__lte=now).only("pk", "status")
    expired = []
    for licence in list(due):  # read them all before writing
        try:
            services.transition(
                request=licence, allowed_from={Status.APPROVED}, to=Status.EXPIRED,
                note="Licence expired.",
            )
        except services.TransitionNotAllowed:
            continue  # revoked, or another sweep expired it first
        expired.append(Notification(request_id=licence.pk, period="expired"))
    return claim(Kind.EXPIRED, expired, now=now)


def _pending(status: str):
    return selectors.with_status_since(LicenseRequest.objects.filter(status=status))


def _since_period(days: int, since: datetime.datetime) -> str:
    # The same request can wait for a signature twice (after a return): each wait has its own nudges.
    return f"day-{days} since {since:%Y-%m-%dT%H:%M:%S}"


PENDING_NUDGES = {Status.AWAITING_SIGNATURE: Kind.SIGNATURE_NUDGE, Status.RETURNED: Kind.RETURNED_NUDGE}


def claim_pending_nudges(*, now: datetime.datetime) -> int:
    """NUDGE_AFTER_DAYS into a wait for a signed agreement or a correction; the latest nudge only."""
    claimed = 0
    steps = sorted(settings.NUDGE_AFTER_DAYS) + [settings.STALE_AFTER_DAYS]
    for status, kind in PENDING_NUDGES.items():
        for days, next_days in zip(steps, steps[1:]):
            due = _pending(status).filter(
                status_since__lte=now - datetime.timedelta(days=days),
                status_since__gt=now - datetime.timedelta(days=next_days),
            )
            claimed += claim(
                kind,
                [Notification(request_id=pk, period=_since_period(days, since))
                 for pk, since in due.values_list("pk", "status_since")],
                now=now,
            )
    return claimed


@transaction.atomic
def withdraw_stale_requests(*, now: datetime.datetime) -> int:
    """STALE_AFTER_DAYS into such a wait the request is withdrawn, with notice."""
    days = settings.STALE_AFTER_DAYS
    withdrawn = []
    for status in PENDING_NUDGES:
        due = _pending(status).filter(status_since__lte=now - datetime.timedelta(days=days)).only("pk", "status")
        for request in list(due):  # read them all before writing
            try:
                services.transition(
                    request=request, allowed_from={status}, to=Status.WITHDRAWN,
                    note=f"Withdrawn automatically: {request.get_status_display().lower()} for {days} days.",
                )
            except services.TransitionNotAllowed:
                continue  # the applicant acted, or another sweep withdrew it first
            withdrawn.append(Notification(request_id=request.pk, period=_since_period(days, request.status_since)))
    return claim(Kind.STALE_WITHDRAWN, withdrawn, now=now)


def claim_reviewer_digests(*, now: datetime.datetime | None = None) -> int:
    """Once a day, each reviewer (who did not opt out) of a dataset with overdue requests."""
    now = now or timezone.now()
    late_datasets = set(
        selectors.overdue_for_review(now=now, datasets=Dataset.objects.all()).values_list("dataset_id", flat=True)
    )
    reviewers = (
        get_user_model().objects.filter(reviewed_datasets__in=late_datasets, is_active=True)
        .exclude(reviewer_preference__daily_digest=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    period = timezone.localdate(now).isoformat()
    return claim(
        Kind.REVIEWER_DIGEST, [Notification(recipient_id=pk, period=period) for pk in reviewers], now=now
    )
