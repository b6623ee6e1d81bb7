"""The owner's record, in public: how many requests came, how many were decided, and how fast.

Read-only (a selector). Figures cover a rolling window of WINDOW_DAYS and are cached for
CACHE_SECONDS per dataset, so a busy public page costs the database nothing most of the time.
A decision's time is counted in working days (Monday to Friday) from the moment its signed copy
first reached the reviewers — when the owner's promised turnaround starts — to the decision.
"""

import datetime
import statistics
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Min, OuterRef, Subquery

from .. import clock
from ..models import Dataset, LicenseRequest, RequestEvent

Status = LicenseRequest.Status
WINDOW_DAYS = 90
CACHE_SECONDS = 3600
DECIDED = (Status.APPROVED, Status.REJECTED)


@dataclass(frozen=True)
class Turnaround:
    received: int
    decided: int
    approved: int
    median_working_days: float | None
    promised_working_days: int
    window_days: int = WINDOW_DAYS

    @property
    def share_approved(self) -> int | None:
        """Per cent of the decisions that approved, rounded; None before any decision."""
        return round(100 * self.approved / self.decided) if self.decided else None

    @property
    def within_promise(self) -> bool | None:
        if self.median_working_days is None:
            return None
        return self.median_working_days <= self.promised_working_days


def working_days_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Weekdays after `start`'s date up to and including `end`'s (0 when decided the same day)."""
    day, end_day, days = clock.local_date(start), clock.local_date(end), 0
    while day < end_day:
        day += datetime.timedelta(days=1)
        days += day.weekday() < 5
    return days


def turnaround(dataset: Dataset, *, now: datetime.datetime | None = None) -> Turnaround:
    """The dataset's figures over the last WINDOW_DAYS, from the cache when it has them."""
    now = now or clock.now()
    key = f"turnaround:{dataset.pk}:{clock.local_date(now).isoformat()}:{now.hour}"
    return cache.get_or_set(key, lambda: _compute(dataset, now=now), CACHE_SECONDS)


def _compute(dataset: Dataset, *, now: datetime.datetime) -> Turnaround:
    since = now - datetime.timedelta(days=WINDOW_DAYS)
    received = LicenseRequest.objects.filter(dataset=dataset, submitted_at__gt=since, submitted_at__lte=now).count()
    first_review = (
        RequestEvent.objects.filter(request=OuterRef("request"), to_status=Status.UNDER_REVIEW)
        .values("request")
        .annotate(first=Min("at"))
        .values("first")
    )
    decisions = list(
        RequestEvent.objects.filter(
            request__dataset=dataset, from_status=Status.UNDER_REVIEW, to_status__in=DECIDED, at__gt=since, at__lte=now
        )
        .annotate(review_from=Subquery(first_review[:1]))
        .values_list("to_status", "review_from", "at")
    )
    days = [working_days_between(start, at) for _, start, at in decisions if start is not None]
    return Turnaround(
        received=received,
        decided=len(decisions),
        approved=sum(status == Status.APPROVED for status, _, _ in decisions),
        median_working_days=statistics.median(days) if days else None,
        promised_working_days=dataset.turnaround_days,
    )
