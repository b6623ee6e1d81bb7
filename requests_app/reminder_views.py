"""Pages that go with the reminders: reporting papers, reviewers' publication lists, the digest toggle."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import selectors, services
from .csv_export import stream_csv
from .forms import PublicationForm
from .http import REFERENCE, found_or_404
from .reviewing import services as reviewing
from .reviewing.forms import EmailPreferenceForm
from .views import CORRECT_THE_FIELDS

CSV_COLUMNS = ["licence", "organisation", "title", "venue", "year", "doi_or_url", "reported_at"]


@login_required
def report_publication(request, reference):
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
    is_active = selectors.licence_is_active(request=license_request)
    form = PublicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.publication_report(request=license_request, user=request.user, fields=form.cleaned_data)
        except services.TransitionNotAllowed as error:
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
    dataset = found_or_404(selectors.reviewed_dataset, user=request.user, slug=slug)
    licence = _licence_asked(request)
    return render(
        request,
        "reminders/dataset_publications.html",
        {"dataset": dataset, "licence": licence, "publications": selectors.publications_of_dataset(dataset=dataset, licence=licence)},
    )


@login_required
def dataset_publications_csv(request, slug):
    dataset = found_or_404(selectors.reviewed_dataset, user=request.user, slug=slug)
    publications = selectors.publications_of_dataset(dataset=dataset, licence=_licence_asked(request))
    rows = (
        [p.request.reference, p.request.organisation, p.title, p.venue, p.year, p.link, p.reported_at.isoformat()]
        for p in publications.iterator(chunk_size=500)
    )
    return stream_csv(f"{dataset.slug}-publications.csv", CSV_COLUMNS, rows)


@login_required
def digest_preference(request):
    if not selectors.is_reviewer(user=request.user):
        raise Http404("Only reviewers receive the digest.")
    form = EmailPreferenceForm(request.POST if request.method == "POST" else None, initial=selectors.email_preferences(user=request.user))
    if request.method == "POST" and form.is_valid():
        reviewing.reviewer_set_preferences(user=request.user, **form.cleaned_data)
        messages.success(request, "Your email choices are saved.")
        return redirect("reminders:digest_preference")
    if request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(request, "reminders/digest_preference.html", {"form": form})
