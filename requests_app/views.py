"""The researcher's pages. Thin: forms validate, services write, selectors read."""

import re

from allauth.account.decorators import verified_email_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ApplicationForm, SignedCopyForm
from .models import SIGNED_COPY_STATUSES, Dataset, LicenseRequest
from .documents.scan_compare import outlined_thumbnail
from .signed_copies import download_name


# What a form page says when its POST is refused; the form is shown again with what was typed.
CORRECT_THE_FIELDS = "Please correct the fields marked below; nothing you typed was lost."


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def dataset_list(request):
    return render(request, "requests_app/dataset_list.html", {"datasets": selectors.datasets_for_listing()})


def dataset_detail(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    return render(
        request,
        "requests_app/dataset_detail.html",
        {"dataset": dataset, "agreement": dataset.current_agreement},
    )


@verified_email_required
def apply(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    draft = selectors.open_draft(request.user, dataset)
    if draft is not None:
        return redirect("requests_app:request_edit", reference=draft.reference)
    if dataset.current_agreement is None:
        messages.error(request, f"{dataset.name} cannot be applied for yet: it has no agreement.")
        return redirect(dataset)
    return _application_form(request, dataset, license_request=None)


@verified_email_required
def request_edit(request, reference):
    license_request = selectors.request_for_applicant(request.user, reference)
    if license_request.status == LicenseRequest.Status.RETURNED:
        return _correction_form(request, license_request)
    if license_request.status != LicenseRequest.Status.DRAFT:
        messages.info(request, "This request has been submitted and can no longer be edited.")
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
            license_request = services.application_save(
                applicant=request.user, dataset=dataset, request=license_request, fields=form.request_fields(),
                submit=submitting, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except services.TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            if submitting:
                messages.success(request, f"Submitted as {license_request.reference}.")
                return redirect(license_request)
            messages.success(request, f"Draft {license_request.reference} saved.")
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
    return render(
        request, "requests_app/my_requests.html", {"requests": selectors.requests_of_applicant(request.user)}
    )


@login_required
def request_detail(request, reference):
    license_request = selectors.request_for_applicant(request.user, reference)
    # Only an active licensee is shown the delivery instructions, and each showing is on the record.
    delivery_shown = selectors.licence_is_active(license_request)
    if delivery_shown:
        services.delivery_view_record(request=license_request, user=request.user, ip=client_ip(request))
    return render(
        request, "requests_app/request_detail.html",
        {
            "license_request": license_request, "delivery_shown": delivery_shown,
            "returned_labels": selectors.returned_field_labels(license_request),
        },
    )


@require_POST
@login_required
def request_withdraw(request, reference):
    license_request = selectors.request_for_applicant(request.user, reference)
    try:
        services.request_withdraw(request=license_request, user=request.user, ip=client_ip(request))
    except services.TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{license_request.reference} has been withdrawn.")
    return redirect(license_request)


# --- The issued agreement, the signed copy, and the public verification page (issue 4) ----------


def _attachment(response, filename: str, *, inline: bool = False):
    response["Content-Disposition"] = content_disposition_header(as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def agreement_pdf(request, reference):
    """The agreement exactly as issued (stored bytes), for the applicant and the dataset's reviewers."""
    license_request = selectors.request_for_participant(request.user, reference)
    issued = selectors.latest_issued_agreement(license_request, with_pdf=True)
    if issued is None:
        raise Http404("No agreement has been issued for this request yet.")
    return _attachment(HttpResponse(bytes(issued.pdf), content_type="application/pdf"), issued.filename)


@verified_email_required
def signed_copy_upload(request, reference):
    license_request = selectors.request_for_applicant(request.user, reference)
    # Only checking an upload needs the issued bytes (a digital signature must cover them).
    issued = selectors.latest_issued_agreement(license_request, with_pdf=request.method == "POST")
    if issued is None or license_request.status not in SIGNED_COPY_STATUSES:
        messages.info(request, "This request is not waiting for a signed agreement.")
        return redirect(license_request)
    if request.method == "POST":
        form = SignedCopyForm(request.POST, request.FILES, issued=issued)
        if form.is_valid():
            try:
                copy = services.signed_copy_record(
                    request=license_request, user=request.user, checked=form.checked, ip=client_ip(request)
                )
            except services.TransitionNotAllowed as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Signed copy received: {copy.summary}.")
            return redirect(license_request)
    else:
        form = SignedCopyForm(issued=issued)
    return render(
        request, "requests_app/signed_copy_upload.html",
        {"license_request": license_request, "issued": issued, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@xframe_options_sameorigin
def signed_copy_file(request, reference, file_id):
    """The stored file; with ?inline=1 shown in the page (the reviewer's preview) instead of downloaded.

    Inline is safe because the type was decided from the content at upload (PDF, JPEG or PNG only) and
    nosniff stops the browser from guessing another one; same-origin framing lets the review page embed it.
    """
    copy_file = selectors.signed_copy_file_for_participant(request.user, reference, file_id)
    response = FileResponse(copy_file.file.open("rb"), content_type=copy_file.content_type)
    # Whatever it carried, the file can run nothing in the portal's origin, even when opened directly.
    response["Content-Security-Policy"] = "sandbox"
    return _attachment(
        response, download_name(copy_file.original_name, copy_file.content_type),
        inline=request.GET.get("inline") == "1",
    )


@login_required
def signed_copy_page_thumbnail(request, reference, copy_id, page):
    """The issued page a scanned page was compared with, its differences outlined (participants only)."""
    license_request = selectors.request_for_participant(request.user, reference)
    copy = get_object_or_404(license_request.signed_copies.select_related("issued_agreement"), pk=copy_id)
    result = next((r for r in copy.page_results if r.get("page") == page and "missing" in r), None)
    if result is None:
        raise Http404("No such compared page.")
    png = outlined_thumbnail(
        bytes(copy.issued_agreement.pdf), page, missing=result["missing"], added=result["added"]
    )
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def verify(request, token):
    """Public, from the QR code: that this agreement exists and where it stands; nothing personal."""
    license_request = selectors.request_for_verification(token)
    issue = request.GET.get("issue", "")
    issued = (
        selectors.issued_agreement_numbered(license_request, int(issue))
        if re.fullmatch(r"[0-9]{1,4}", issue) else None
    )
    # A paper of an earlier issue must not pass for the one that was signed and decided on.
    latest = selectors.latest_issued_agreement(license_request)
    return render(
        request, "requests_app/verify.html",
        {"license_request": license_request, "issued": issued, "latest": latest, "asked_issue": issue},
    )


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
            services.request_resubmit(
                request=license_request, user=request.user, fields=form.request_fields(), ip=client_ip(request)
            )
        except (services.TransitionNotAllowed, services.DecisionInvalid) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{license_request.reference} corrected: sign the new agreement and upload it.")
            return redirect(license_request)
    elif request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(request, "requests_app/correct.html", {
        "license_request": license_request, "form": form,
        "returned_labels": selectors.returned_field_labels(license_request),
    })
