"""Every write that changes a licence request. Views, admin actions, tasks and commands call these.

A status change is a conditional UPDATE (`filter(pk=..., status=expected).update(...)`) and one
RequestEvent in the same transaction: when two people act at once exactly one wins, and the other
gets a TransitionNotAllowed that says who did what and when.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .agreements import sha256_text
from .models import (
    WITHDRAWABLE_STATUSES,
    AgreementVersion,
    ClauseAcceptance,
    Dataset,
    LicenseRequest,
    RequestEvent,
)

Status = LicenseRequest.Status


class TransitionNotAllowed(Exception):
    """The request is not in a state that allows this change. The message is for the user."""


def _status_message(request: LicenseRequest) -> str:
    last = request.events.select_related("actor").order_by("-at", "-pk").first()
    if last is None:
        return f"{request.reference} is {request.get_status_display().lower()}."
    who = "the applicant" if last.actor_id == request.applicant_id else (last.actor or "the portal")
    when = timezone.localtime(last.at).strftime("%d %b %Y %H:%M %Z")
    return f"{request.reference} is already {last.get_to_status_display().lower()} ({who}, {when})."


def transition(
    *,
    request: LicenseRequest,
    allowed_from: Iterable[str],
    to: str,
    actor=None,
    note: str = "",
    ip: str | None = None,
    **changes,
) -> LicenseRequest:
    """Move `request` to `to` if, in the database, it is in one of `allowed_from`.

    Must run inside a transaction (every public service is atomic), so the event is written
    with the change or not at all. Updates `request` in place and returns it.
    """
    allowed_from = frozenset(allowed_from)
    current = LicenseRequest.objects.filter(pk=request.pk).values_list("status", flat=True).first()
    now = timezone.now()
    updated = 0
    if current in allowed_from:
        updated = LicenseRequest.objects.filter(pk=request.pk, status=current).update(
            status=to, updated_at=now, **changes
        )
    if not updated:
        request.refresh_from_db()
        raise TransitionNotAllowed(_status_message(request))
    for field, value in changes.items():
        setattr(request, field, value)
    request.status, request.updated_at = to, now
    RequestEvent.objects.create(
        request=request, actor=actor, from_status=current, to_status=to, note=note, at=now, ip=ip
    )
    return request


def _reference(dataset: Dataset, request: LicenseRequest) -> str:
    return f"{dataset.reference_prefix}-{timezone.now().year}-{request.pk:06d}"


@transaction.atomic
def request_create_draft(*, applicant, dataset: Dataset, fields: dict, ip: str | None = None) -> LicenseRequest:
    """Start an application under the dataset's current agreement, with what the applicant typed."""
    version = dataset.current_agreement
    if version is None:
        raise TransitionNotAllowed(f"{dataset.name} has no published agreement yet.")
    request = LicenseRequest.objects.create(
        applicant=applicant, dataset=dataset, agreement_version=version, **fields
    )
    request.reference = _reference(dataset, request)
    LicenseRequest.objects.filter(pk=request.pk).update(reference=request.reference)
    RequestEvent.objects.create(
        request=request, actor=applicant, to_status=Status.DRAFT, note="Application started.",
        at=timezone.now(), ip=ip,
    )
    return request


@transaction.atomic
def request_save_draft(*, request: LicenseRequest, fields: dict) -> LicenseRequest:
    """Save what the applicant typed; only while the request is a draft."""
    updated = LicenseRequest.objects.filter(pk=request.pk, status=Status.DRAFT).update(
        updated_at=timezone.now(), **fields
    )
    if not updated:
        request.refresh_from_db()
        raise TransitionNotAllowed(_status_message(request))
    for field, value in fields.items():
        setattr(request, field, value)
    return request


def _printable(text: str) -> str:
    # Headers are client-controlled: a NUL byte would make PostgreSQL refuse the whole submission.
    return "".join(c for c in text if c.isprintable())


@transaction.atomic
def request_submit(
    *, request: LicenseRequest, user, fields: dict, ip: str | None, user_agent: str
) -> LicenseRequest:
    """Record the applicant's acceptance of every clause and send the request for signature.

    Acceptances are recorded against the exact agreement version and clause text the applicant saw.
    """
    version: AgreementVersion = request.agreement_version
    now = timezone.now()
    transition(
        request=request, allowed_from={Status.DRAFT}, to=Status.AWAITING_SIGNATURE, actor=user,
        note="Submitted; every clause accepted.", ip=ip, submitted_at=now, **fields,
    )
    ClauseAcceptance.objects.bulk_create(
        ClauseAcceptance(
            request=request, agreement_version=version, clause_number=clause["number"],
            text_sha256=sha256_text(clause["text"]), accepted_at=now, ip=ip,
            user_agent=_printable(user_agent)[:400],
        )
        for clause in version.clauses
    )
    return request


@transaction.atomic
def request_withdraw(*, request: LicenseRequest, user, ip: str | None = None) -> LicenseRequest:
    """The applicant withdraws the request before a decision."""
    return transition(
        request=request, allowed_from=WITHDRAWABLE_STATUSES, to=Status.WITHDRAWN, actor=user,
        note="Withdrawn by the applicant.", ip=ip,
    )
