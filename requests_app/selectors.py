"""Reads, with the joins each page needs decided in one place."""

import datetime

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from .models import (
    Dataset,
    IssuedAgreement,
    LicenseRequest,
    Publication,
    RequestEvent,
    SignedCopy,
    SignedCopyFile,
)


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


# --- The issued agreement and signed copies (issue 4) ---------------------------------------------


def _participant_filter(user) -> Q:
    """Who may see a request's documents: its applicant and the dataset's reviewers (and superusers)."""
    if user.is_superuser:
        return Q()
    return Q(applicant=user) | Q(dataset__reviewers=user)


def request_for_participant(user, reference: str) -> LicenseRequest:
    """The request if `user` takes part in it, or 404 (strangers learn nothing)."""
    if not user.is_authenticated:
        raise Http404("No such request.")
    found = (
        LicenseRequest.objects.filter(_participant_filter(user), reference=reference)
        .select_related("dataset", "agreement_version", "applicant")
        .distinct()
        .first()
    )
    if found is None:
        raise Http404("No such request.")
    return found


def latest_issued_agreement(request: LicenseRequest, *, with_pdf: bool = False) -> IssuedAgreement | None:
    issues = request.issued_agreements.order_by("-issue")
    return (issues if with_pdf else issues.defer("pdf")).first()


def signed_copies_of(request: LicenseRequest) -> QuerySet[SignedCopy]:
    """Every upload for the request, newest first, with its files and the issue it was checked against."""
    return (
        request.signed_copies.select_related("issued_agreement", "uploaded_by")
        .defer("issued_agreement__pdf")
        .prefetch_related("files")
        .order_by("-uploaded_at", "-pk")
    )


def signed_copy_file_for_participant(user, reference: str, file_id: int) -> SignedCopyFile:
    request = request_for_participant(user, reference)
    try:
        return SignedCopyFile.objects.get(pk=file_id, signed_copy__request=request)
    except SignedCopyFile.DoesNotExist:
        raise Http404("No such file.") from None


def request_for_verification(token: str) -> LicenseRequest:
    try:
        return LicenseRequest.objects.select_related("dataset").exclude(status=LicenseRequest.Status.DRAFT).get(token=token)
    except LicenseRequest.DoesNotExist:
        raise Http404("No such agreement.") from None
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
