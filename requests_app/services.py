"""Every write that changes a licence request. Views, admin actions, tasks and commands call these.

A status change goes through `workflow.perform`, which checks the move against the one declared
state machine with a conditional UPDATE and writes its RequestEvent in the same transaction.
"""

import datetime
import hashlib
import io
from collections.abc import Iterable

import pypdf
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from . import clock, selectors, workflow
from .access.conflicts import conflict_of_interest
from .agreement_format.formfields import to_stored
from .agreements import sha256_text
from .identity.selectors import confirmation_missing
from .models import (
    AgreementVersion,
    ClauseAcceptance,
    Dataset,
    DeliveryView,
    IssuedAgreement,
    LicenseRequest,
    Notification,
    Publication,
    RequestEvent,
    ReviewerGrant,
    ReviewerPreference,
    ReviewerRemark,
    SignedCopy,
    SignedCopyFile,
)
from .notifications import notification_claim, notify_decision
from .pdf import render_agreement_with_areas
from .reviewing import services as reviewing
from .reviewing.renewals import licence_extend, licence_extend_unchanged, renewal_submit  # noqa: F401
from .reviewing.services import request_assign, request_claim, request_recommend_approval  # noqa: F401  (workflow's names)
from .signed_copies import CheckedUpload
from .workflow import TransitionNotAllowed

Status = LicenseRequest.Status


def _reference(dataset: Dataset, request: LicenseRequest) -> str:
    return f"{dataset.reference_prefix}-{clock.now().year}-{request.pk:06d}"


@transaction.atomic
def request_create_draft(*, applicant, dataset: Dataset, fields: dict, ip: str | None = None) -> LicenseRequest:
    """Start an application under the dataset's current agreement, with what the applicant typed."""
    version = dataset.current_agreement
    if version is None:
        raise TransitionNotAllowed(_("%(name)s has no published agreement yet.") % {"name": dataset.name})
    request = LicenseRequest.objects.create(
        applicant=applicant, dataset=dataset, agreement_version=version, **fields
    )
    request.reference = _reference(dataset, request)
    LicenseRequest.objects.filter(pk=request.pk).update(reference=request.reference)
    RequestEvent.objects.create(
        request=request, actor=applicant, to_status=Status.DRAFT, note="Application started.",
        at=clock.now(), ip=ip,
    )
    return request


@transaction.atomic
def request_save_draft(*, request: LicenseRequest, fields: dict) -> LicenseRequest:
    """Save what the applicant typed; only while the request is a draft."""
    updated = LicenseRequest.objects.filter(pk=request.pk, status=Status.DRAFT).update(
        updated_at=clock.now(), **fields
    )
    if not updated:
        raise workflow.refused(request)
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
    now = clock.now()
    workflow.perform(
        workflow.SUBMIT, request=request, actor=user, note="Submitted; every clause accepted.", ip=ip,
        now=now, submitted_at=now, **fields,
    )
    ClauseAcceptance.objects.bulk_create(
        ClauseAcceptance(
            request=request, agreement_version=version, clause_number=clause["number"],
            text_sha256=sha256_text(clause["text"]), accepted_at=now, ip=ip,
            user_agent=_printable(user_agent)[:400],
        )
        for clause in version.clauses
    )
    agreement_issue(request=request)
    return request


@transaction.atomic
def application_save(
    *, applicant, dataset: Dataset, request: LicenseRequest | None, fields: dict, submit: bool,
    ip: str | None, user_agent: str,
) -> LicenseRequest:
    """What the application form does: start the draft if there is none yet, then submit it or save it.

    One transaction, so a first submission that is refused leaves no draft behind.
    """
    if request is None:
        # Created with what was typed: a new draft has nothing left to save.
        request = request_create_draft(applicant=applicant, dataset=dataset, fields=fields, ip=ip)
    elif not submit:
        request = request_save_draft(request=request, fields=fields)
    if submit:
        return request_submit(request=request, user=applicant, fields=fields, ip=ip, user_agent=user_agent)
    return request


@transaction.atomic
def request_withdraw(*, request: LicenseRequest, user, ip: str | None = None) -> LicenseRequest:
    """The applicant withdraws the request before a decision."""
    return workflow.perform(
        workflow.WITHDRAW, request=request, actor=user, note="Withdrawn by the applicant.", ip=ip
    )


# --- The issued agreement and the signed copy (issue 4) ------------------------------------------


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
    return IssuedAgreement.objects.create(
        request=request, agreement_version=request.agreement_version, issue=issue, pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(), length=len(pdf),
        pages=len(pypdf.PdfReader(io.BytesIO(pdf)).pages), issued_at=clock.now(), areas=rendered.areas,
    )


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
        workflow.UPLOAD_SIGNED_COPY, request=request, actor=user, ip=ip,
        note=f"Signed copy {'replaced' if replacing else 'uploaded'}: {checked.summary}.",
    )
    copy = SignedCopy.objects.create(
        request=request, issued_agreement=checked.issued, uploaded_by=user, uploaded_at=clock.now(),
        kind=checked.kind, page_results=checked.page_results, summary=checked.summary,
    )
    stored = []
    try:
        for position, part in enumerate(checked.parts, 1):
            copy_file = SignedCopyFile(
                signed_copy=copy, position=position, original_name=part.original_name,
                content_type=part.content_type, size=len(part.data), sha256=part.sha256,
            )
            copy_file.file.save(f"upload{part.extension}", ContentFile(part.data), save=False)
            stored.append(copy_file.file)
            copy_file.save()
    except BaseException:
        # The rows roll back with the transaction; the files on disk must go with them.
        for stored_file in stored:
            stored_file.delete(save=False)
        raise
    return copy
# --- Publications and reviewer preferences --------------------------------------------------------


@transaction.atomic
def publication_report(*, request: LicenseRequest, user, fields: dict) -> Publication:
    """The licensee reports a paper that uses the dataset; only while their licence is active."""
    if not selectors.active_licences(now=clock.now()).filter(pk=request.pk, applicant=user).exists():
        raise TransitionNotAllowed(_("Papers can be reported only under an active licence; %(reference)s is not one.") % {"reference": request.reference})
    return Publication.objects.create(request=request, reported_by=user, reported_at=clock.now(), **fields)


@transaction.atomic
def dataset_set_reviewers(*, dataset: Dataset, reviewers: set, by=None) -> list[ReviewerGrant]:
    """Make exactly `reviewers` the dataset's reviewers; each one added or removed is a ReviewerGrant."""
    current = set(dataset.reviewers.all())
    now = clock.now()
    grants = [ReviewerGrant(dataset=dataset, reviewer=user, granted=True, by=by, at=now) for user in reviewers - current]
    grants += [ReviewerGrant(dataset=dataset, reviewer=user, granted=False, by=by, at=now) for user in current - reviewers]
    dataset.reviewers.add(*(reviewers - current))
    dataset.reviewers.remove(*(current - reviewers))
    return ReviewerGrant.objects.bulk_create(grants)


@transaction.atomic
def reviewer_grant(*, dataset: Dataset, reviewer, by=None) -> list[ReviewerGrant]:
    """Add one reviewer (nothing, and no record, if they review the dataset already)."""
    return dataset_set_reviewers(dataset=dataset, reviewers={*dataset.reviewers.all(), reviewer}, by=by)


@transaction.atomic
def reviewer_set_daily_digest(*, user, daily_digest: bool) -> ReviewerPreference:
    preference, _ = ReviewerPreference.objects.update_or_create(user=user, defaults={"daily_digest": daily_digest})
    return preference




# --- Review: decisions, remarks, corrections and delivery -------------------------------------------


class DecisionInvalid(ValueError):
    """The decision is missing something it needs (a reason, the fields to correct). For the user."""


def _required(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DecisionInvalid(_("Write %(what)s: the applicant reads it.") % {"what": what})
    return text


def default_expiry(dataset: Dataset) -> datetime.datetime | None:
    """A licence granted now runs for the dataset's duration; None when its licences do not expire."""
    if dataset.licence_duration_days is None:
        return None
    return clock.now() + datetime.timedelta(days=dataset.licence_duration_days)


@transaction.atomic
def request_approve(
    *, request: LicenseRequest, reviewer, expires_at: datetime.datetime | None, note: str = "",
    ip: str | None = None,
) -> LicenseRequest:
    """Grant the licence, valid until `expires_at` (None: it does not expire)."""
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise DecisionInvalid(_("The licence would already be expired: choose a later expiry date."))
    waiting_for_representative = confirmation_missing(request=request)
    if waiting_for_representative:
        raise DecisionInvalid(waiting_for_representative)
    if request.dataset.two_person_rule and not reviewing.is_second_approval(request=request, reviewer=reviewer):
        return reviewing.request_recommend_approval(request=request, reviewer=reviewer, note=note, ip=ip)
    return _decide(
        workflow.APPROVE, request=request, reviewer=reviewer,
        note=note.strip() or "Approved.", ip=ip, notification=Notification.Kind.REQUEST_APPROVED, now=now,
        approved_at=now, expires_at=expires_at, decision_reason="", returned_fields=[],
    )


def _decide(
    transition: workflow.Transition, *, request: LicenseRequest, reviewer, note: str, ip: str | None,
    notification: str, now: datetime.datetime | None = None, **changes,
) -> LicenseRequest:
    """A reviewer's decision: the transition, stamped decided_at, and the applicant's email claimed with it."""
    if conflict := conflict_of_interest(request=request, user=reviewer):
        raise TransitionNotAllowed(conflict)
    now = now or clock.now()
    workflow.perform(
        transition, request=request, actor=reviewer, note=note, ip=ip, now=now, decided_at=now, **changes
    )
    notify_decision(notification, request=request, now=now)
    return request


@transaction.atomic
def request_reject(*, request: LicenseRequest, reviewer, reason: str, ip: str | None = None) -> LicenseRequest:
    """Refuse the request; the applicant is emailed the reason and may apply again."""
    reason = _required(reason, _("the reason for the rejection"))
    return _decide(
        workflow.REJECT, request=request, reviewer=reviewer,
        note=reason, ip=ip, notification=Notification.Kind.REQUEST_REJECTED, decision_reason=reason,
    )


@transaction.atomic
def request_return_for_correction(
    *, request: LicenseRequest, reviewer, fields: Iterable[str], reason: str, ip: str | None = None
) -> LicenseRequest:
    """Send the request back; the applicant may then change only `fields`, and signs a new agreement."""
    reason = _required(reason, _("what must be corrected, and why"))
    labels = dict(selectors.returnable_fields(request=request))
    fields = [name for name in labels if name in set(fields)]
    if not fields:
        raise DecisionInvalid(_("Choose at least one field the applicant must correct."))
    return _decide(
        workflow.RETURN, request=request, reviewer=reviewer,
        note=f"Returned for correction of {', '.join(labels[f] for f in fields)}: {reason}", ip=ip,
        notification=Notification.Kind.REQUEST_RETURNED, decision_reason=reason, returned_fields=fields,
    )


@transaction.atomic
def request_revoke(*, request: LicenseRequest, reviewer, reason: str, ip: str | None = None) -> LicenseRequest:
    """End an approved licence; the applicant is emailed the reason."""
    reason = _required(reason, _("the reason for revoking the licence"))
    return _decide(
        workflow.REVOKE, request=request, reviewer=reviewer,
        note=reason, ip=ip, notification=Notification.Kind.REQUEST_REVOKED, decision_reason=reason,
    )


@transaction.atomic
def request_expire(*, request: LicenseRequest, now: datetime.datetime) -> LicenseRequest:
    """The licence reached its expiry date: it ends, and its holder is told, in one transaction."""
    workflow.perform(workflow.EXPIRE, request=request, note="Licence expired.", now=now)
    notification_claim(kind=Notification.Kind.EXPIRED, request=request, period="expired", now=now)
    return request


@transaction.atomic
def request_withdraw_stale(*, request: LicenseRequest, waited_since: datetime.datetime, days: int,
                           now: datetime.datetime) -> LicenseRequest:
    """Nobody acted for `days` while the request waited on its applicant: it is withdrawn, with notice."""
    waiting = request.get_status_display().lower()
    workflow.perform(
        workflow.WITHDRAW_STALE, request=request, now=now,
        note=f"Withdrawn automatically: {waiting} for {days} days.",
    )
    notification_claim(
        kind=Notification.Kind.STALE_WITHDRAWN, request=request, period=wait_period(days, waited_since), now=now
    )
    return request


def wait_period(days: int, since: datetime.datetime) -> str:
    """A reminder's period during one wait: a request can wait for its applicant twice (after a return)."""
    return f"day-{days} since {since:%Y-%m-%dT%H:%M:%S}"


@transaction.atomic
def request_resubmit(*, request: LicenseRequest, user, fields: dict, ip: str | None = None) -> LicenseRequest:
    """The applicant's corrections: only the returned fields may change; a new agreement is issued to sign.

    The clause acceptances stand (the agreement version is unchanged); the earlier issued
    agreement and its signed copy stay in the history.
    """
    # `values` carries every field, the unchanged ones as they were (the form merges them).
    changed = set(fields) - set(request.returned_fields) - {"values"}
    changed |= {
        name for name, value in fields.get("values", {}).items()
        if value != to_stored(request.value(name)) and name.removesuffix("_romanised") not in request.returned_fields
    }
    if changed:
        raise DecisionInvalid(_("Only the returned fields may be changed, not %(fields)s.") % {"fields": ", ".join(sorted(changed))})
    workflow.perform(
        workflow.RESUBMIT, request=request, actor=user, note="Corrected and resubmitted.", ip=ip,
        returned_fields=[], decision_reason="", corrected_fields=list(request.returned_fields), **fields,
    )
    agreement_issue(request=request)
    return request


@transaction.atomic
def remark_add(*, request: LicenseRequest, author, text: str) -> ReviewerRemark:
    text = (text or "").strip()
    if not text:
        raise DecisionInvalid(_("The remark is empty."))
    return ReviewerRemark.objects.create(request=request, author=author, text=text, at=clock.now())


@transaction.atomic
def delivery_view_record(*, request: LicenseRequest, user, ip: str | None) -> DeliveryView:
    """Note that `user` was shown the delivery instructions; callers show them only to active licensees."""
    return DeliveryView.objects.create(request=request, user=user, at=clock.now(), ip=ip)
