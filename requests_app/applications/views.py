"""The researcher's pages. Thin: forms validate, services write, selectors read."""

import re

from allauth.account.decorators import verified_email_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import clock
from ..agreement_format import localised, reacceptance
from ..agreement_format.formfields import ValuesInvalid
from ..documents.selectors import agreement_documents, latest_upload_check
from ..fragments import fragment_version
from ..http import found_or_404
from ..models import Dataset, LicenseRequest
from ..ops.client_ip import client_ip as ops_client_ip
from ..publications.selectors import publications_of_dataset
from ..reviewing.countersignature import asks_countersignature
from ..workflow import DecisionInvalid, TransitionNotAllowed
from .forms import ApplicationForm, SignedCopyForm
from .selectors import (
    active_licence_of,
    dataset_with_current_agreement,
    datasets_for_listing,
    licence_gives_access,
    open_draft,
    request_for_applicant,
    requests_of_applicant,
    returned_field_labels,
)
from .services import application_save, delivery_view_record, request_resubmit
from .services import request_withdraw as withdraw_request

# What a form page says when its POST is refused; the form is shown again with what was typed.
CORRECT_THE_FIELDS = gettext_lazy("Please correct the fields marked below; nothing you typed was lost.")


def client_ip(request) -> str | None:
    return ops_client_ip(request)


def dataset_list(request):
    datasets = list(datasets_for_listing())
    return render(
        request,
        "requests_app/dataset_list.html",
        {"datasets": datasets, "fragment_version": fragment_version(*datasets)},
    )


def dataset_detail(request, slug):
    dataset, agreement = found_or_404(dataset_with_current_agreement, slug=slug)
    return render(
        request,
        "requests_app/dataset_detail.html",
        {
            "dataset": dataset,
            "agreement": agreement,
            "fragment_version": fragment_version(dataset, agreement),
            # The owner chooses whether the papers licensees reported are shown here.
            "publications": (
                publications_of_dataset(dataset=dataset).order_by("-year", "-reported_at")[:50]
                if dataset.show_publications
                else None
            ),
        },
    )


@verified_email_required
def apply(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    licence = active_licence_of(user=request.user, dataset=dataset)
    if licence is not None:
        # Someone who already holds a licence wants it (its delivery instructions), not a second one.
        messages.info(
            request,
            _("You already hold an active %(name)s licence, %(reference)s.")
            % {"name": dataset.name, "reference": licence.reference},
        )
        return redirect(licence)
    draft = open_draft(user=request.user, dataset=dataset)
    if draft is not None:
        return redirect("requests_app:request_edit", reference=draft.reference)
    if dataset.current_agreement is None:
        messages.error(request, _("%(name)s cannot be applied for yet: it has no agreement.") % {"name": dataset.name})
        return redirect(dataset)
    return _application_form(request, dataset, license_request=None)


@verified_email_required
def request_edit(request, reference):
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    if license_request.status == LicenseRequest.Status.RETURNED:
        return _correction_form(request, license_request)
    if license_request.status != LicenseRequest.Status.DRAFT:
        messages.info(request, _("This request has been submitted and can no longer be edited."))
        return redirect(license_request)
    return _application_form(request, license_request.dataset, license_request=license_request)


def _application_form(request, dataset, *, license_request):
    agreement = license_request.agreement_version if license_request else dataset.current_agreement
    submitting = request.method == "POST" and "submit" in request.POST
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        instance=license_request,
        agreement=agreement,
        submitting=submitting,
    )
    if request.method == "POST" and form.is_valid():
        try:
            license_request = application_save(
                applicant=request.user,
                dataset=dataset,
                request=license_request,
                fields=form.request_fields(),
                submit=submitting,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except (TransitionNotAllowed, ValuesInvalid) as error:
            messages.error(request, str(error))
            if license_request is None and (saved := open_draft(user=request.user, dataset=dataset)):
                return redirect("requests_app:request_edit", reference=saved.reference)  # holds all typed
        else:
            if submitting:
                messages.success(request, _("Submitted as %(reference)s.") % {"reference": license_request.reference})
                return redirect(license_request)
            messages.success(request, _("Draft %(reference)s saved.") % {"reference": license_request.reference})
            return redirect("requests_app:request_edit", reference=license_request.reference)
    elif request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(
        request,
        "requests_app/apply.html",
        {"dataset": dataset, "agreement": agreement, "form": form, "license_request": license_request},
    )


@login_required
def my_requests(request):
    return render(request, "requests_app/my_requests.html", {"requests": requests_of_applicant(user=request.user)})


@login_required
def request_detail(request, reference):
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    return _request_page(request, license_request, delivery_shown=False)


@require_POST
@login_required
def delivery_instructions(request, reference):
    """Only an active licensee is shown the delivery instructions, and each showing is on the record.

    Shown in answer to a POST (the licensee's click), so a HEAD, a prefetch or a crawler following
    links never counts as a look. A licensee with a changed agreement to accept sees what changed instead.
    """
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    if not licence_gives_access(request=license_request):
        messages.info(
            request,
            _("%(reference)s is not an active licence you can use yet.") % {"reference": license_request.reference},
        )
        return redirect(license_request)
    delivery_view_record(request=license_request, user=request.user, ip=client_ip(request))
    return _request_page(request, license_request, delivery_shown=True)


def _request_page(request, license_request, *, delivery_shown: bool):
    from ..reviewing.public_views import renewal_context  # it imports this module

    waiting = reacceptance.pending(license_request)
    return render(
        request,
        "requests_app/request_detail.html",
        {
            "license_request": license_request,
            "delivery_shown": delivery_shown,
            "licence_active": waiting is None and (delivery_shown or license_request.is_active(clock.now())),
            "returned_labels": returned_field_labels(request=license_request),
            "note_labels": localised.labels_for_notes(license_request.agreement_version),
            "reacceptance": waiting,
            "changes": reacceptance.changes_for(license_request, waiting) if waiting else None,
            **agreement_panel(license_request, can_upload=True),
            **renewal_context(license_request),
        },
    )


def agreement_panel(license_request, *, can_upload: bool, preview: bool = False) -> dict:
    """What the agreement panel shows: download link, upload form while a signed copy is expected
    (applicant), and every check result. Reviewers get preview=True: the current signed copy is
    shown in the page, so the signature is beside the integrity result without a download.
    """
    documents = agreement_documents(request=license_request)
    upload_open = can_upload and documents.issued is not None and license_request.accepts_signed_copy
    # The applicant's latest upload while it is checked, or refused (a refused one reaches no reviewer).
    upload_check = latest_upload_check(request=license_request) if can_upload else None
    if upload_check is not None and upload_check.state == upload_check.State.ACCEPTED:
        upload_check = None
    checking = upload_check is not None and upload_check.state == upload_check.State.CHECKING
    return {
        "issued": documents.issued,
        "signed_copies": documents.signed_copies,
        "preview": preview,
        "form": SignedCopyForm(issued=documents.issued) if upload_open and not checking else None,
        "upload_check": upload_check,
        # The executed agreement, where the owner countersigns: the current one first.
        "countersigned_copies": documents.countersigned_copies,
        "asks_countersignature": asks_countersignature(documents.issued),
    }


@require_POST
@verified_email_required
def request_reaccept(request, reference):
    """The licensee accepts the changed clauses of a new agreement version."""
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    accepted = {int(key[7:]) for key in request.POST if re.fullmatch(r"clause_[0-9]{1,4}", key)}
    try:
        reacceptance.reacceptance_accept(
            request=license_request,
            user=request.user,
            clause_numbers=accepted,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except (TransitionNotAllowed, reacceptance.AcceptanceIncomplete) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(reference)s: the changed agreement is accepted.") % {"reference": license_request.reference}
        )
    return redirect(license_request)


@require_POST
@login_required
def request_withdraw(request, reference):
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    try:
        withdraw_request(request=license_request, user=request.user, ip=client_ip(request))
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(reference)s has been withdrawn.") % {"reference": license_request.reference})
    return redirect(license_request)


def _correction_form(request, license_request):
    """A returned request: the applicant may change only the fields the reviewer returned."""
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        instance=license_request,
        agreement=license_request.agreement_version,
        submitting=True,
        editable_fields=license_request.returned_fields,
    )
    if request.method == "POST" and form.is_valid():
        try:
            request_resubmit(
                request=license_request, user=request.user, fields=form.request_fields(), ip=client_ip(request)
            )
        except (TransitionNotAllowed, DecisionInvalid, ValuesInvalid) as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(reference)s corrected: sign the new agreement and upload it.")
                % {"reference": license_request.reference},
            )
            return redirect(license_request)
    elif request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(
        request,
        "requests_app/correct.html",
        {
            "license_request": license_request,
            "form": form,
            "returned_labels": returned_field_labels(request=license_request),
        },
    )
