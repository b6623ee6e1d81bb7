"""Reads, with the joins each page needs decided in one place."""

import datetime

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from .models import Dataset, LicenseRequest, Publication, RequestEvent


def datasets_for_listing() -> QuerySet[Dataset]:
    return Dataset.objects.all()


def requests_of_applicant(user) -> QuerySet[LicenseRequest]:
    return (
        LicenseRequest.objects.filter(applicant=user)
        .select_related("dataset")
        .order_by("-created_at")
    )


def request_for_applicant(user, reference: str) -> LicenseRequest:
    """The applicant's own request, or 404: a stranger learns nothing, not even that it exists."""
    try:
        return (
            LicenseRequest.objects.select_related("dataset", "agreement_version", "applicant")
            .prefetch_related(
                Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
            )
            .get(reference=reference, applicant=user)
        )
    except LicenseRequest.DoesNotExist:
        raise Http404("No such request.") from None


def open_draft(user, dataset: Dataset) -> LicenseRequest | None:
    return (
        LicenseRequest.objects.filter(applicant=user, dataset=dataset, status=LicenseRequest.Status.DRAFT)
        .order_by("-created_at")
        .first()
    )


# --- Reminders and publications ------------------------------------------------------------------


def active_licences(*, now) -> QuerySet[LicenseRequest]:
    """The one definition of an active licence: approved, and not past its expiry (if it has one)."""
    return LicenseRequest.objects.filter(status=LicenseRequest.Status.APPROVED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def with_status_since(queryset: QuerySet[LicenseRequest]) -> QuerySet[LicenseRequest]:
    """Annotate `status_since`: when each request entered the status it is in now (its last event)."""
    entered = RequestEvent.objects.filter(request=OuterRef("pk"), to_status=OuterRef("status"))
    return queryset.annotate(status_since=Subquery(entered.order_by("-at", "-pk").values("at")[:1]))


def working_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The moment `days` working days (Monday to Friday) before `moment`."""
    while days > 0:
        moment -= datetime.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def overdue_for_review(*, now, datasets) -> QuerySet[LicenseRequest]:
    """Requests under review for longer than their dataset's promised turnaround, oldest first."""
    late = Q(pk__in=[])
    for dataset in datasets:
        late |= Q(dataset=dataset, status_since__lte=working_days_before(now, dataset.turnaround_days))
    return (
        with_status_since(LicenseRequest.objects.filter(status=LicenseRequest.Status.UNDER_REVIEW))
        .filter(late)
        .select_related("dataset")
        .order_by("status_since", "pk")
    )


def publications_of_dataset(dataset: Dataset, *, licence: str | None = None) -> QuerySet["Publication"]:
    publications = Publication.objects.filter(request__dataset=dataset).select_related("request")
    if licence:
        publications = publications.filter(request__reference=licence)
    return publications.order_by("request__reference", "-year", "-reported_at")


def reviewed_dataset(user, slug: str) -> Dataset:
    """A dataset `user` reviews (any, for a superuser), or 404: others learn nothing."""
    datasets = Dataset.objects.all() if user.is_superuser else user.reviewed_datasets.all()
    try:
        return datasets.get(slug=slug)
    except Dataset.DoesNotExist:
        raise Http404("No such dataset.") from None
