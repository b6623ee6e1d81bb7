"""The agreement's documents: the issued PDF, the signed-copy upload and its files, the public verify page."""

import re

from allauth.account.decorators import verified_email_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from ..applications.forms import SignedCopyForm
from ..applications.selectors import request_for_applicant, request_for_participant
from ..applications.views import client_ip
from ..http import found_or_404
from ..privacy.services import signed_copy_view_record
from . import check_text, quarantine
from .scan_compare import outlined_thumbnail
from .selectors import (
    issued_agreement_numbered,
    latest_issued_agreement,
    request_for_verification,
    signed_copy_file_for_participant,
    upload_check_for_applicant,
)
from .signed_copies import download_name


def _attachment(response, filename: str, *, inline: bool = False):
    response["Content-Disposition"] = content_disposition_header(as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def agreement_pdf(request, reference):
    """The agreement exactly as issued (stored bytes), for the applicant and the dataset's reviewers."""
    license_request = found_or_404(request_for_participant, user=request.user, reference=reference)
    issued = latest_issued_agreement(request=license_request)
    if issued is None or not issued.file:
        raise Http404("No agreement has been issued for this request yet.")
    stored = issued.file.storage.open(issued.file.name, "rb")
    return _attachment(FileResponse(stored, content_type="application/pdf"), issued.filename)


@verified_email_required
def signed_copy_upload(request, reference):
    """Store the upload in quarantine and have a worker check it; the request page shows the outcome.

    A script on the page (portal.js) sends the form itself, to show progress, and asks for JSON:
    where to go next, or the form's errors.
    """
    license_request = found_or_404(request_for_applicant, user=request.user, reference=reference)
    issued = latest_issued_agreement(request=license_request)
    if issued is None or not license_request.accepts_signed_copy:
        messages.info(request, _("This request is not waiting for a signed agreement."))
        return redirect(license_request)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST":
        form = SignedCopyForm(request.POST, request.FILES, issued=issued)
        if form.is_valid():
            check = quarantine.signed_copy_quarantine(
                request=license_request, issued=issued, user=request.user, parts=form.parts, ip=client_ip(request)
            )
            quarantine.upload_check_enqueue(check)  # after the quarantine's transaction: views run outside one
            check.refresh_from_db()
            if check.state == check.State.ACCEPTED:
                messages.success(
                    request, _("Signed copy received: %(summary)s.") % {"summary": check_text.summary(check.message)}
                )
            elif check.state == check.State.REFUSED:
                messages.error(request, _("The signed copy was not accepted: %(reason)s") % {"reason": check.message})
            else:
                messages.info(
                    request, _("Upload received. It is being checked; this page shows the result when it is ready.")
                )
            url = license_request.get_absolute_url() + "#agreement"
            return JsonResponse({"redirect": url}) if wants_json else redirect(url)
        if wants_json:
            return JsonResponse(
                {"errors": [str(e) for e in form.errors.get("files", [])] or [str(e) for e in form.non_field_errors()]},
                status=400,
            )
    else:
        form = SignedCopyForm(issued=issued)
    return render(
        request,
        "requests_app/signed_copy_upload.html",
        {"license_request": license_request, "issued": issued, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def upload_check_status(request, reference, check_id):
    """Where an upload's check stands, for the applicant's page to poll: {"state", "message"}."""
    check = found_or_404(upload_check_for_applicant, user=request.user, reference=reference, check_id=check_id)
    response = JsonResponse(
        {
            "state": check.state,
            "message": check_text.summary(check.message) if check.state != check.State.CHECKING else "",
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@xframe_options_sameorigin
def signed_copy_file(request, reference, file_id):
    """The stored file; with ?inline=1 shown in the page (the reviewer's preview) instead of downloaded.

    Inline is safe because the type was decided from the content at upload (PDF, JPEG or PNG only) and
    nosniff stops the browser from guessing another one; same-origin framing lets the review page embed it.
    """
    copy_file = found_or_404(signed_copy_file_for_participant, user=request.user, reference=reference, file_id=file_id)
    inline = request.GET.get("inline") == "1"
    if copy_file.signed_copy.request.applicant_id != request.user.pk:
        # A signed copy is a personal document: every look by someone other than its applicant is recorded.
        signed_copy_view_record(copy_file=copy_file, viewer=request.user, ip=client_ip(request), inline=inline)
    response = FileResponse(copy_file.file.open("rb"), content_type=copy_file.content_type)
    # Whatever it carried, the file can run nothing in the portal's origin, even when opened directly.
    response["Content-Security-Policy"] = "sandbox"
    return _attachment(
        response,
        download_name(copy_file.original_name, copy_file.content_type),
        inline=inline,
    )


@login_required
def signed_copy_page_thumbnail(request, reference, copy_id, page):
    """The issued page a scanned page was compared with, its differences outlined (participants only)."""
    license_request = found_or_404(request_for_participant, user=request.user, reference=reference)
    copy = get_object_or_404(license_request.signed_copies.select_related("issued_agreement"), pk=copy_id)
    result = next((r for r in copy.page_results if r.get("page") == page and "missing" in r), None)
    if result is None:
        raise Http404("No such compared page.")
    png = outlined_thumbnail(bytes(copy.issued_agreement.pdf), page, missing=result["missing"], added=result["added"])
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def verify(request, token):
    """Public, from the QR code: that this agreement exists and where it stands; nothing personal."""
    license_request = found_or_404(request_for_verification, token=token)
    issue = request.GET.get("issue", "")
    issued = (
        issued_agreement_numbered(request=license_request, issue=int(issue))
        if re.fullmatch(r"[0-9]{1,4}", issue)
        else None
    )
    # A paper of an earlier issue must not pass for the one that was signed and decided on.
    latest = latest_issued_agreement(request=license_request)
    return render(
        request,
        "requests_app/verify.html",
        {"license_request": license_request, "issued": issued, "latest": latest, "asked_issue": issue},
    )
