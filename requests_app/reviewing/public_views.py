"""The owner's public page per dataset: what was received and decided, and how fast, against the promise."""

from django.shortcuts import get_object_or_404, render

from ..models import Dataset
from .turnaround import turnaround


def dataset_turnaround(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    return render(request, "requests_app/dataset_turnaround.html", {"dataset": dataset, "figures": turnaround(dataset)})


# --- The licensee renews ---------------------------------------------------------------------------

from allauth.account.decorators import verified_email_required  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from .. import clock  # noqa: E402
from ..agreement_format.formfields import ValuesInvalid  # noqa: E402
from ..applications.forms import ApplicationForm  # noqa: E402
from ..applications.selectors import request_for_applicant  # noqa: E402
from ..applications.views import CORRECT_THE_FIELDS, client_ip  # noqa: E402
from ..http import found_or_404  # noqa: E402
from ..i18n import dates  # noqa: E402
from . import renewals  # noqa: E402


def renewal_context(license_request) -> dict:
    """What the licensee's page adds: whether they may renew now, and a renewal already waiting."""
    approved = license_request.status == "approved"
    pending, refused = renewals.open_and_refused(license_request) if approved else (None, None)
    return {
        "renewal_open": renewals.renewal_open(license_request, now=clock.now()),
        "pending_renewal": pending,
        "renewal_refused": refused,
    }


@verified_email_required
def renew(request, reference):
    licence = found_or_404(request_for_applicant, user=request.user, reference=reference)
    if not renewals.renewal_open(licence, now=clock.now()):
        messages.info(
            request,
            _("%(reference)s can be renewed from %(days)s days before it expires.")
            % {
                "reference": licence.reference,
                "days": renewals.RENEWAL_OPENS_DAYS,
            },
        )
        return redirect(licence)
    names = renewals.renewable_fields(licence)
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        instance=licence,
        agreement=licence.agreement_version,
        submitting=True,
        editable_fields=names,
    )
    for name in set(form.fields) - set(names):
        del form.fields[name]
    if request.method == "POST" and form.is_valid():
        try:
            renewals.renewal_submit(
                request=licence, user=request.user, fields=form.request_fields(), ip=client_ip(request)
            )
        except (renewals.TransitionNotAllowed, ValuesInvalid) as error:
            messages.error(request, str(error))
        else:
            licence.refresh_from_db()  # the form wrote the proposal onto it; the licence is as stored
            if renewals.pending_renewal(licence) is None:
                messages.success(
                    request,
                    _("%(reference)s is renewed until %(date)s.")
                    % {
                        "reference": licence.reference,
                        "date": dates.day(licence.expires_at),
                    },
                )
            else:
                messages.success(
                    request,
                    _("Renewal of %(reference)s requested: a reviewer will look at it.")
                    % {"reference": licence.reference},
                )
            return redirect(licence)
    elif request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(
        request,
        "requests_app/renew.html",
        {
            "license_request": licence,
            "form": form,
            "renewal_refused": renewals.last_refusal(licence),
        },
    )
