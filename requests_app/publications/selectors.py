"""Reads of reported papers."""

from django.db.models import (
    QuerySet,
)

from ..models import Dataset, Publication


def publications_of_dataset(*, dataset: Dataset, licence: str | None = None) -> QuerySet["Publication"]:
    publications = Publication.objects.filter(request__dataset=dataset).select_related("request")
    if licence:
        publications = publications.filter(request__reference=licence)
    return publications.order_by("request__reference", "-year", "-reported_at")
