"""Reads, with the joins each page needs decided in one place."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import Dataset, LicenseRequest, RequestEvent


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
