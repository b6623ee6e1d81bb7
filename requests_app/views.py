"""The researcher's pages. Thin: forms validate, services write, selectors read."""

import re

from allauth.account.decorators import verified_email_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from . import selectors, services
from .agreement_format import reacceptance
from .documents.scan_compare import outlined_thumbnail
from .forms import ApplicationForm, SignedCopyForm
from .http import found_or_404
from .models import Dataset, LicenseRequest
from .ops.client_ip import client_ip as ops_client_ip
from .privacy.services import signed_copy_view_record
from .signed_copies import download_name

# What a form page says when its POST is refused; the form is shown again with what was typed.
CORRECT_THE_FIELDS = gettext_lazy("Please correct the fields marked below; nothing you typed was lost.")


def client_ip(request) -> str | None:
    return ops_client_ip(request)


def dataset_list(request):
    return render(request, "requests_app/dataset_list.html", {"datasets": selectors.datasets_for_listing()})


def dataset_detail(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    return render(
        request,
        "requests_app/dataset_detail.html",
        {
            "dataset": dataset, "agreement": dataset.current_agreement,
            # The owner chooses whether the papers licensees reported are shown here.
            "publications": (
                selectors.publications_of_dataset(dataset=dataset).order_by("-year", "-reported_at")[:50]
                if dataset.show_publications else None
            ),
        },
    )


@verified_email_required
def apply(request, slug):
    dataset = get_object_or_404(Dataset, slug=slug)
    licence = selectors.active_licence_of(user=request.user, dataset=dataset)
    if licence is not None:
        # Someone who already holds a licence wants it (its delivery instructions), not a second one.
        messages.info(request, f"You already hold an active {dataset.name} licence, {licence.reference}.")
        return redirect(licence)
    draft = selectors.open_draft(user=request.user, dataset=dataset)
    if draft is not None:
        return redirect("requests_app:request_edit", reference=draft.reference)
    if dataset.current_agreement is None:
        messages.error(request, _("%(name)s cannot be applied for yet: it has no agreement.") % {"name": dataset.name})
        return redirect(dataset)
    return _application_form(request, dataset, license_request=None)


@verified_email_required
def request_edit(request, reference):
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
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
            license_request = services.application_save(
                applicant=request.user, dataset=dataset, request=license_request, fields=form.request_fields(),
                submit=submitting, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except services.TransitionNotAllowed as error:
            messages.error(request, str(error))
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
    return render(
        request, "requests_app/my_requests.html", {"requests": selectors.requests_of_applicant(user=request.user)}
    )


@login_required
def request_detail(request, reference):
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
    return _request_page(request, license_request, delivery_shown=False)


@require_POST
@login_required
def delivery_instructions(request, reference):
    """Only an active licensee is shown the delivery instructions, and each showing is on the record.

    Shown in answer to a POST (the licensee's click), so a HEAD, a prefetch or a crawler following
    links never counts as a look. A licensee with a changed agreement to accept sees what changed instead.
    """
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
    if not selectors.licence_is_active(request=license_request) or reacceptance.pending(license_request):
        messages.info(request, _("%(reference)s is not an active licence you can use yet.") % {"reference": license_request.reference})
        return redirect(license_request)
    services.delivery_view_record(request=license_request, user=request.user, ip=client_ip(request))
    return _request_page(request, license_request, delivery_shown=True)


def _request_page(request, license_request, *, delivery_shown: bool):
    from .reviewing.public_views import renewal_context  # it imports this module

    waiting = reacceptance.pending(license_request)
    return render(
        request, "requests_app/request_detail.html",
        {
            "license_request": license_request, "delivery_shown": delivery_shown,
            "licence_active": waiting is None and (delivery_shown or selectors.licence_is_active(request=license_request)),
            "returned_labels": selectors.returned_field_labels(request=license_request),
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
    documents = selectors.agreement_documents(request=license_request)
    upload_open = can_upload and documents.issued is not None and license_request.accepts_signed_copy
    return {
        "issued": documents.issued, "signed_copies": documents.signed_copies, "preview": preview,
        "form": SignedCopyForm(issued=documents.issued) if upload_open else None,
    }


@require_POST
@verified_email_required
def request_reaccept(request, reference):
    """The licensee accepts the changed clauses of a new agreement version."""
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
    accepted = {int(key[7:]) for key in request.POST if re.fullmatch(r"clause_[0-9]{1,4}", key)}
    try:
        reacceptance.reacceptance_accept(
            request=license_request, user=request.user, clause_numbers=accepted, ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except (services.TransitionNotAllowed, reacceptance.AcceptanceIncomplete) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(reference)s: the changed agreement is accepted.") % {"reference": license_request.reference})
    return redirect(license_request)


@require_POST
@login_required
def request_withdraw(request, reference):
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
    try:
        services.request_withdraw(request=license_request, user=request.user, ip=client_ip(request))
    except services.TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(reference)s has been withdrawn.") % {"reference": license_request.reference})
    return redirect(license_request)


# --- The issued agreement, the signed copy, and the public verification page (issue 4) ----------


def _attachment(response, filename: str, *, inline: bool = False):
    response["Content-Disposition"] = content_disposition_header(as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def agreement_pdf(request, reference):
    """The agreement exactly as issued (stored bytes), for the applicant and the dataset's reviewers."""
    license_request = found_or_404(selectors.request_for_participant, user=request.user, reference=reference)
    issued = selectors.latest_issued_agreement(request=license_request, with_pdf=True)
    if issued is None:
        raise Http404("No agreement has been issued for this request yet.")
    return _attachment(HttpResponse(bytes(issued.pdf), content_type="application/pdf"), issued.filename)


@verified_email_required
def signed_copy_upload(request, reference):
    license_request = found_or_404(selectors.request_for_applicant, user=request.user, reference=reference)
    # Only checking an upload needs the issued bytes (a digital signature must cover them).
    issued = selectors.latest_issued_agreement(request=license_request, with_pdf=request.method == "POST")
    if issued is None or not license_request.accepts_signed_copy:
        messages.info(request, _("This request is not waiting for a signed agreement."))
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
                messages.success(request, _("Signed copy received: %(summary)s.") % {"summary": copy.summary})
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
    copy_file = found_or_404(selectors.signed_copy_file_for_participant, user=request.user, reference=reference, file_id=file_id)
    inline = request.GET.get("inline") == "1"
    if copy_file.signed_copy.request.applicant_id != request.user.pk:
        # A signed copy is a personal document: every look by someone other than its applicant is recorded.
        signed_copy_view_record(copy_file=copy_file, viewer=request.user, ip=client_ip(request), inline=inline)
    response = FileResponse(copy_file.file.open("rb"), content_type=copy_file.content_type)
    # Whatever it carried, the file can run nothing in the portal's origin, even when opened directly.
    response["Content-Security-Policy"] = "sandbox"
    return _attachment(
        response, download_name(copy_file.original_name, copy_file.content_type),
        inline=inline,
    )


@login_required
def signed_copy_page_thumbnail(request, reference, copy_id, page):
    """The issued page a scanned page was compared with, its differences outlined (participants only)."""
    license_request = found_or_404(selectors.request_for_participant, user=request.user, reference=reference)
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
    license_request = found_or_404(selectors.request_for_verification, token=token)
    issue = request.GET.get("issue", "")
    issued = (
        selectors.issued_agreement_numbered(request=license_request, issue=int(issue))
        if re.fullmatch(r"[0-9]{1,4}", issue) else None
    )
    # A paper of an earlier issue must not pass for the one that was signed and decided on.
    latest = selectors.latest_issued_agreement(request=license_request)
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
            messages.success(request, _("%(reference)s corrected: sign the new agreement and upload it.") % {"reference": license_request.reference})
            return redirect(license_request)
    elif request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(request, "requests_app/correct.html", {
        "license_request": license_request, "form": form,
        "returned_labels": selectors.returned_field_labels(request=license_request),
    })
