"""Issuing an agreement and recording the signed copy that comes back."""

import copy
import hashlib
from dataclasses import dataclass

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
from .pdf import RenderedAgreement, render_agreement_with_areas
from .signed_copies import CheckedUpload
from .stored_copies import signed_copy_store

# What the workflow writes as a request moves; no agreement prints any of it.
_WORKFLOW_COLUMNS = frozenset(
    {"status", "updated_at", "submitted_at", "decided_at", "decision_reason", "returned_fields", "corrected_fields"}
)


def _rendered_from(request: LicenseRequest) -> tuple[dict, dict]:
    """Everything an agreement could print: the request's row but the workflow's columns, and its
    dataset's row (name, owner), which a reload of the dataset's file changes in place."""
    row = {
        field.attname: getattr(request, field.attname)
        for field in LicenseRequest._meta.concrete_fields
        if field.name not in _WORKFLOW_COLUMNS and not field.generated
    }
    dataset = request.agreement_version.dataset
    return row, {field.attname: getattr(dataset, field.attname) for field in dataset._meta.concrete_fields}


def _next_issue(request: LicenseRequest) -> int:
    return (request.issued_agreements.aggregate(last=Max("issue"))["last"] or 0) + 1


@dataclass(frozen=True)
class RenderedAhead:
    """An agreement rendered before the transaction that issues it, with what it was rendered from."""

    issue: int
    source: tuple[dict, dict]  # _rendered_from's
    rendered: RenderedAgreement


def agreement_render_ahead(*, request: LicenseRequest, changes: dict) -> RenderedAhead:
    """The next issue of `request`'s agreement, rendered as if `changes` were saved, and nothing written.

    Called before the transaction that issues it, so no write lock is held while the PDF is drawn
    (SQLite's lock is the whole database's). `request` itself is left as it is.
    """
    ahead = copy.copy(request)
    for name, value in changes.items():
        setattr(ahead, name, value)
    issue = _next_issue(request)
    rendered = render_agreement_with_areas(ahead, ahead.agreement_version, issue=issue)
    return RenderedAhead(issue=issue, source=_rendered_from(ahead), rendered=rendered)


@transaction.atomic
def agreement_issue(*, request: LicenseRequest, ahead: RenderedAhead | None = None) -> IssuedAgreement:
    """Render the agreement for `request` and keep the bytes as the issued document.

    Call it in the transaction that moves the request to awaiting_signature (submission, and a
    corrected request after a return), after the move: each call issues a new numbered document,
    and only the latest one can be signed and uploaded. The document prints the request's row as
    this transaction commits it: the PDF rendered `ahead` is kept only when it is this issue and
    was rendered from that row and its dataset's as they are now, else it is rendered again here.
    """
    issue = _next_issue(request)
    committed = LicenseRequest.objects.select_related("agreement_version__dataset").get(pk=request.pk)
    if ahead is not None and (ahead.issue, ahead.source) == (issue, _rendered_from(committed)):
        rendered = ahead.rendered
    else:
        rendered = render_agreement_with_areas(committed, committed.agreement_version, issue=issue)
    pdf = rendered.pdf
    issued = IssuedAgreement(
        request=request,
        agreement_version=committed.agreement_version,
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
