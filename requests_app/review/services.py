"""A reviewer's decisions (approve, reject, return, revoke), remarks, and who reviews a dataset."""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from .. import clock, workflow
from ..access.conflicts import conflict_of_interest
from ..identity.selectors import confirmation_missing
from ..models import (
    Dataset,
    LicenseRequest,
    Notification,
    ReviewerGrant,
    ReviewerPreference,
    ReviewerRemark,
)
from ..notifications.services import notification_claim_for_decision
from ..reviewing import services as reviewing
from ..workflow import DecisionInvalid, TransitionNotAllowed


@transaction.atomic
def dataset_set_reviewers(*, dataset: Dataset, reviewers: set, by=None) -> list[ReviewerGrant]:
    """Make exactly `reviewers` the dataset's reviewers; each one added or removed is a ReviewerGrant."""
    current = set(dataset.reviewers.all())
    now = clock.now()
    grants = [
        ReviewerGrant(dataset=dataset, reviewer=user, granted=True, by=by, at=now) for user in reviewers - current
    ]
    grants += [
        ReviewerGrant(dataset=dataset, reviewer=user, granted=False, by=by, at=now) for user in current - reviewers
    ]
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


def _required(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DecisionInvalid(_("Write %(what)s: the applicant reads it.") % {"what": what})
    return text


@transaction.atomic
def request_approve(
    *,
    request: LicenseRequest,
    reviewer,
    expires_at: datetime.datetime | None,
    note: str = "",
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
        workflow.APPROVE,
        request=request,
        reviewer=reviewer,
        note=note.strip() or "Approved.",
        ip=ip,
        notification=Notification.Kind.REQUEST_APPROVED,
        now=now,
        approved_at=now,
        expires_at=expires_at,
        decision_reason="",
        returned_fields=[],
    )


def _decide(
    transition: workflow.Transition,
    *,
    request: LicenseRequest,
    reviewer,
    note: str,
    ip: str | None,
    notification: str,
    now: datetime.datetime | None = None,
    **changes,
) -> LicenseRequest:
    """A reviewer's decision: the transition, stamped decided_at, and the applicant's email claimed with it."""
    if conflict := conflict_of_interest(request=request, user=reviewer):
        raise TransitionNotAllowed(conflict)
    now = now or clock.now()
    workflow.perform(transition, request=request, actor=reviewer, note=note, ip=ip, now=now, decided_at=now, **changes)
    notification_claim_for_decision(kind=notification, request=request, now=now)
    return request


def _decide_for_reason(
    transition: workflow.Transition,
    *,
    request: LicenseRequest,
    reviewer,
    reason: str,
    ip: str | None,
    notification: str,
) -> LicenseRequest:
    """A decision whose reason, required, is both its note and what the applicant's email tells them."""
    return _decide(
        transition,
        request=request,
        reviewer=reviewer,
        note=reason,
        ip=ip,
        notification=notification,
        decision_reason=reason,
    )


@transaction.atomic
def request_reject(*, request: LicenseRequest, reviewer, reason: str, ip: str | None = None) -> LicenseRequest:
    """Refuse the request; the applicant is emailed the reason and may apply again."""
    return _decide_for_reason(
        workflow.REJECT,
        request=request,
        reviewer=reviewer,
        reason=_required(reason, _("the reason for the rejection")),
        ip=ip,
        notification=Notification.Kind.REQUEST_REJECTED,
    )


@transaction.atomic
def request_return_for_correction(
    *, request: LicenseRequest, reviewer, fields: Iterable[str], reason: str, ip: str | None = None
) -> LicenseRequest:
    """Send the request back; the applicant may then change only `fields`, and signs a new agreement."""
    reason = _required(reason, _("what must be corrected, and why"))
    # The note is stored, so in the file's wording; the applicant's email retells it in theirs.
    labels = {spec["name"]: spec["label"] for spec in request.application_fields()}
    fields = [name for name in labels if name in set(fields)]
    if not fields:
        raise DecisionInvalid(_("Choose at least one field the applicant must correct."))
    return _decide(
        workflow.RETURN,
        request=request,
        reviewer=reviewer,
        note=f"Returned for correction of {', '.join(labels[f] for f in fields)}: {reason}",
        ip=ip,
        notification=Notification.Kind.REQUEST_RETURNED,
        decision_reason=reason,
        returned_fields=fields,
    )


@transaction.atomic
def request_revoke(*, request: LicenseRequest, reviewer, reason: str, ip: str | None = None) -> LicenseRequest:
    """End an approved licence; the applicant is emailed the reason."""
    return _decide_for_reason(
        workflow.REVOKE,
        request=request,
        reviewer=reviewer,
        reason=_required(reason, _("the reason for revoking the licence")),
        ip=ip,
        notification=Notification.Kind.REQUEST_REVOKED,
    )


@transaction.atomic
def remark_add(*, request: LicenseRequest, author, text: str) -> ReviewerRemark:
    text = (text or "").strip()
    if not text:
        raise DecisionInvalid(_("The remark is empty."))
    return ReviewerRemark.objects.create(request=request, author=author, text=text, at=clock.now())
