"""Every write an applicant's request goes through, from the first draft to withdrawal or expiry.

A status change goes through `workflow.perform`, which checks the move against the one declared
state machine with a conditional UPDATE and writes its RequestEvent in the same transaction.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from .. import clock, workflow
from ..agreement_format import spec
from ..agreement_format.formfields import clean_values, stored_values, to_stored
from ..agreement_format.loading import sha256_text
from ..documents.services import agreement_issue, agreement_render_ahead
from ..models import (
    AgreementVersion,
    ClauseAcceptance,
    Dataset,
    DeliveryView,
    LicenseRequest,
    Notification,
    RequestEvent,
)
from ..notifications.services import notification_claim
from ..workflow import DecisionInvalid, TransitionNotAllowed

Status = LicenseRequest.Status


def _reference(dataset: Dataset, request: LicenseRequest) -> str:
    return f"{dataset.reference_prefix}-{clock.now().year}-{request.pk:06d}"


def _checked(fields: dict, *, request: LicenseRequest | None, version: AgreementVersion, complete: bool) -> dict:
    """`fields` with `values` (and the search's text of them) as stored, checked against the version's fields.

    The values are the request's, updated by the well-known columns and the `values` given, so a
    caller that sets only columns is checked too. Raises ValuesInvalid, before anything is written,
    when one fails its field's checks; `complete` (the request is being sent) also requires the
    required ones.
    """
    columns = {name: to_stored(value) for name, value in fields.items() if name in spec.APPLICANT_COLUMNS}
    values = {**(request.values if request is not None else {}), **columns, **fields.get("values", {})}
    cleaned = clean_values(version=version, values=values, complete=complete)
    return {**fields, **stored_values(version=version, values=cleaned)}


@transaction.atomic
def request_create_draft(
    *, applicant, dataset: Dataset, fields: dict, ip: str | None = None, complete: bool = False
) -> LicenseRequest:
    """Start an application under the dataset's current agreement, with what the applicant typed.

    `complete`: the draft is about to be submitted, so what a submission refuses is refused here.
    """
    version = dataset.current_agreement
    if version is None:
        raise TransitionNotAllowed(_("%(name)s has no published agreement yet.") % {"name": dataset.name})
    fields = _checked(fields, request=None, version=version, complete=complete)
    request = LicenseRequest.objects.create(applicant=applicant, dataset=dataset, agreement_version=version, **fields)
    request.reference = _reference(dataset, request)
    LicenseRequest.objects.filter(pk=request.pk).update(reference=request.reference)
    RequestEvent.objects.create(
        request=request,
        actor=applicant,
        to_status=Status.DRAFT,
        note="Application started.",
        at=clock.now(),
        ip=ip,
    )
    return request


@transaction.atomic
def request_save_draft(*, request: LicenseRequest, fields: dict) -> LicenseRequest:
    """Save what the applicant typed; only while the request is a draft."""
    fields = _checked(fields, request=request, version=request.agreement_version, complete=False)
    updated = LicenseRequest.objects.filter(pk=request.pk, status=Status.DRAFT).update(updated_at=clock.now(), **fields)
    if not updated:
        raise workflow.refused(request)
    for field, value in fields.items():
        setattr(request, field, value)
    return request


def _printable(text: str) -> str:
    # Headers are client-controlled: a NUL byte would make PostgreSQL refuse the whole submission.
    return "".join(c for c in text if c.isprintable())


def request_submit(*, request: LicenseRequest, user, fields: dict, ip: str | None, user_agent: str) -> LicenseRequest:
    """Record the applicant's acceptance of every clause and send the request for signature.

    Acceptances are recorded against the exact agreement version and clause text the applicant saw.
    The agreement is rendered before the transaction, which then holds no write lock while the PDF
    is drawn; agreement_issue renders it again if the request changed meanwhile.
    """
    if not workflow.SUBMIT.allows(request.status):
        raise workflow.refused(request)  # a stale tab: refused before drawing a PDF for nothing
    version: AgreementVersion = request.agreement_version
    fields = _checked(fields, request=request, version=version, complete=True)
    ahead = agreement_render_ahead(request=request, changes=fields)
    with transaction.atomic():
        now = clock.now()
        workflow.perform(
            workflow.SUBMIT,
            request=request,
            actor=user,
            note="Submitted; every clause accepted.",
            ip=ip,
            now=now,
            submitted_at=now,
            **fields,
        )
        ClauseAcceptance.objects.bulk_create(
            ClauseAcceptance(
                request=request,
                agreement_version=version,
                clause_number=clause["number"],
                text_sha256=sha256_text(clause["text"]),
                accepted_at=now,
                ip=ip,
                user_agent=_printable(user_agent)[:400],
            )
            for clause in version.clauses
        )
        agreement_issue(request=request, ahead=ahead)
    return request


def application_save(
    *,
    applicant,
    dataset: Dataset,
    request: LicenseRequest | None,
    fields: dict,
    submit: bool,
    ip: str | None,
    user_agent: str,
) -> LicenseRequest:
    """What the application form does: start the draft if there is none yet, then submit it or save it.

    A new application is saved as a draft first, in its own transaction (its agreement prints the
    reference, made of the draft's pk, and is drawn with no transaction open). Checked as a
    submission when it is one, so values a submission refuses leave no draft behind; a submission
    that fails after that (the PDF could not be drawn) leaves the draft, with everything typed.
    """
    if request is None:
        # Created with what was typed: a new draft has nothing left to save.
        request = request_create_draft(applicant=applicant, dataset=dataset, fields=fields, ip=ip, complete=submit)
    elif not submit:
        request = request_save_draft(request=request, fields=fields)
    if submit:
        return request_submit(request=request, user=applicant, fields=fields, ip=ip, user_agent=user_agent)
    return request


@transaction.atomic
def request_withdraw(*, request: LicenseRequest, user, ip: str | None = None) -> LicenseRequest:
    """The applicant withdraws the request before a decision."""
    return workflow.perform(workflow.WITHDRAW, request=request, actor=user, note="Withdrawn by the applicant.", ip=ip)


@transaction.atomic
def request_expire(*, request: LicenseRequest, now: datetime.datetime) -> LicenseRequest:
    """The licence reached its expiry date: it ends, and its holder is told, in one transaction."""
    workflow.perform(workflow.EXPIRE, request=request, note="Licence expired.", now=now)
    notification_claim(kind=Notification.Kind.EXPIRED, request=request, period="expired", now=now)
    return request


@transaction.atomic
def request_withdraw_stale(
    *, request: LicenseRequest, waited_since: datetime.datetime, days: int, now: datetime.datetime
) -> LicenseRequest:
    """Nobody acted for `days` while the request waited on its applicant: it is withdrawn, with notice."""
    waiting = request.get_status_display().lower()
    workflow.perform(
        workflow.WITHDRAW_STALE,
        request=request,
        now=now,
        note=f"Withdrawn automatically: {waiting} for {days} days.",
    )
    notification_claim(
        kind=Notification.Kind.STALE_WITHDRAWN,
        request=request,
        period=Notification.wait_period(days=days, since=waited_since),
        now=now,
    )
    return request


def request_resubmit(*, request: LicenseRequest, user, fields: dict, ip: str | None = None) -> LicenseRequest:
    """The applicant's corrections: only the returned fields may change; a new agreement is issued to sign.

    The clause acceptances stand (the agreement version is unchanged); the earlier issued
    agreement and its signed copy stay in the history. The new agreement is rendered before the
    transaction, as on submission.
    """
    # `values` carries every field, the unchanged ones as they were (the form merges them).
    changed = set(fields) - set(request.returned_fields) - {"values"}
    changed |= {
        name
        for name, value in fields.get("values", {}).items()
        if value != to_stored(request.value(name)) and name.removesuffix("_romanised") not in request.returned_fields
    }
    if changed:
        raise DecisionInvalid(
            _("Only the returned fields may be changed, not %(fields)s.") % {"fields": ", ".join(sorted(changed))}
        )
    if not workflow.RESUBMIT.allows(request.status):
        raise workflow.refused(request)
    fields = _checked(fields, request=request, version=request.agreement_version, complete=True)
    ahead = agreement_render_ahead(request=request, changes=fields)
    with transaction.atomic():
        workflow.perform(
            workflow.RESUBMIT,
            request=request,
            actor=user,
            note="Corrected and resubmitted.",
            ip=ip,
            returned_fields=[],
            decision_reason="",
            corrected_fields=list(request.returned_fields),
            **fields,
        )
        agreement_issue(request=request, ahead=ahead)
    return request


@transaction.atomic
def delivery_view_record(*, request: LicenseRequest, user, ip: str | None) -> DeliveryView:
    """Note that `user` was shown the delivery instructions; callers show them only to active licensees."""
    return DeliveryView.objects.create(request=request, user=user, at=clock.now(), ip=ip)
