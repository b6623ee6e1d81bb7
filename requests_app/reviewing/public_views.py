"""The owner's public page per dataset: what was received and decided, and how fast, against the promise."""

from django.shortcuts import get_object_or_404, render

from ..models import Dataset
from .turnaround import turnaround


def dataset_turnaround(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    return render(request, "requests_app/dataset_turnaround.html", {"dataset": dataset, "figures": turnaround(dataset)})
