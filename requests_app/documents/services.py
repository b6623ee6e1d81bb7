"""Issuing an agreement and recording the signed copy that comes back."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from .. import clock, workflow
from ..models import (
    IssuedAgreement,
    LicenseRequest,
    SignedCopy,
)
from ..workflow import TransitionNotAllowed
from .pdf import render_agreement_with_areas
from .signed_copies import CheckedUpload
from .stored_copies import signed_copy_store


@transaction.atomic
def agreement_issue(*, request: LicenseRequest) -> IssuedAgreement:
    """Render the agreement for `request` and keep the bytes as the issued document.

    Call it in the transaction that moves the request to awaiting_signature (submission, and a
    corrected request after a return): each call issues a new numbered document, and only the
    latest one can be signed and uploaded.
    """
    issue = (request.issued_agreements.aggregate(last=Max("issue"))["last"] or 0) + 1
    rendered = render_agreement_with_areas(request, request.agreement_version, issue=issue)
    pdf = rendered.pdf
    issued = IssuedAgreement(
        request=request,
        agreement_version=request.agreement_version,
        issue=issue,
        sha256=hashlib.sha256(pdf).hexdigest(),
        length=len(pdf),
        pages=rendered.pages,
        issued_at=clock.now(),
        areas=rendered.areas,
    )
    issued.file.save("agreement.pdf", ContentFile(pdf), save=False)
    try:
        issued.save()
    except BaseException:
        issued.file.delete(save=False)  # no row points at it: it must not stay behind
        raise
    return issued


@transaction.atomic
def signed_copy_record(*, request: LicenseRequest, user, checked: CheckedUpload, ip: str | None = None) -> SignedCopy:
    """Store a checked signed copy and send the request for review.

    The first upload moves awaiting_signature -> under_review. A new upload while under review
    (before any decision) is the same conditional update from under_review to under_review, so it
    is recorded as an event, loses cleanly against a reviewer deciding at the same moment, and
    keeps every earlier upload in the history.
    """
    latest = request.issued_agreements.order_by("-issue").values_list("pk", flat=True).first()
    if latest != checked.issued.pk:
        raise TransitionNotAllowed(_("A new agreement was issued meanwhile: download it, sign it and upload that."))
    replacing = request.signed_copies.exists()
    workflow.perform(
        workflow.UPLOAD_SIGNED_COPY,
        request=request,
        actor=user,
        ip=ip,
        note=f"Signed copy {'replaced' if replacing else 'uploaded'}: {checked.summary}.",
    )
    return signed_copy_store(request=request, user=user, checked=checked)
