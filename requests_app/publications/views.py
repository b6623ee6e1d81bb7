"""A licensee reports a paper; the owner lists and exports what was reported."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..applications.forms import PublicationForm
from ..applications.selectors import licence_is_active, request_for_applicant
from ..applications.views import CORRECT_THE_FIELDS
from ..http import REFERENCE, found_or_404
from ..review.csv_export import stream_csv
from ..review.selectors import reviewed_dataset
from ..workflow import TransitionNotAllowed
from .selectors import publications_of_dataset
from .services import publication_report

PAGE_SIZE = 50


CSV_COLUMNS = ["licence", "organisation", "title", "venue", "year", "doi_or_url", "reported_at"]


@login_required
def report_publication(request, reference):
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    is_active = licence_is_active(request=license_request)
    form = PublicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            publication_report(request=license_request, user=request.user, fields=form.cleaned_data)
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Thank you: the paper is recorded with your licence."))
            return redirect("reminders:report_publication", reference=reference)
    elif request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(
        request,
        "reminders/report_publication.html",
        {
            "license_request": license_request,
            "publications": license_request.publications.all(),
            "form": form,
            "is_active": is_active,
        },
    )


def _licence_asked(request) -> str:
    """The ?licence= filter if it looks like a reference; anything else (junk, a NUL byte) filters nothing."""
    licence = request.GET.get("licence", "").strip()
    return licence if REFERENCE.fullmatch(licence) else ""


@login_required
def dataset_publications(request, slug):
    dataset = found_or_404(reviewed_dataset, user=request.user, slug=slug)
    licence = _licence_asked(request)
    page = Paginator(publications_of_dataset(dataset=dataset, licence=licence), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reminders/dataset_publications.html",
        {"dataset": dataset, "licence": licence, "page": page, "publications": page.object_list},
    )


@login_required
def dataset_publications_csv(request, slug):
    dataset = found_or_404(reviewed_dataset, user=request.user, slug=slug)
    publications = publications_of_dataset(dataset=dataset, licence=_licence_asked(request))
    rows = (
        [p.request.reference, p.request.organisation, p.title, p.venue, p.year, p.link, p.reported_at.isoformat()]
        for p in publications.iterator(chunk_size=500)
    )
    return stream_csv(f"{dataset.slug}-publications.csv", CSV_COLUMNS, rows)
