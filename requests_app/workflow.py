"""The licence request's state machine, declared once.

Every status a request can have, every move between two of them, who may make it and the service
that makes it are listed here and nowhere else. The services call `perform`, which checks the move
against this declaration and the database at once: a conditional UPDATE
(`filter(pk=..., status=current).update(...)`) and one RequestEvent in the same transaction, so when
two people act at once exactly one wins and the other gets a TransitionNotAllowed saying who did
what, and when. Nothing else writes `status`, and only the services declared here (or private
helpers in their modules) call `perform`: tests/portal/test_workflow.py walks the source to hold both.

The README's diagram is `mermaid()` of this declaration; a test keeps the two in step.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import clock
from .i18n import dates


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting signed agreement")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# How a status is shown (a Bootstrap badge class), on every page and in the queue's rows alike.
_BADGE_CLASSES: dict[str, str] = {
    Status.APPROVED: "text-bg-success",
    Status.REJECTED: "text-bg-danger",
    Status.REVOKED: "text-bg-danger",
    Status.RETURNED: "text-bg-warning",
    Status.WITHDRAWN: "text-bg-secondary",
    Status.EXPIRED: "text-bg-secondary",
}


def badge_class(status: str) -> str:
    """The badge class of `status`: green approved, red refused, amber returned, grey ended, blue in progress."""
    return _BADGE_CLASSES.get(status, "text-bg-primary")


def status_label(status: str) -> str:
    """`status` in the active language, as a status field's get_..._display gives it (anything else as stored).

    Django's own hashes every lazy label of the choices, a gettext each, on every call: ~1 ms a queue row."""
    return str(Status(status).label) if status in Status.values else status


class By(models.TextChoices):
    """Who may make a move: the applicant, a reviewer of the request's dataset, or the portal itself."""

    APPLICANT = "applicant", _("the applicant")
    REVIEWER = "reviewer", _("a reviewer of the dataset")
    PORTAL = "portal", _("the portal")


@dataclass(frozen=True)
class Transition:
    service: str
    module: str  # where the service lives, under requests_app
    sources: frozenset[str]
    target: str
    by: By

    def allows(self, status: str) -> bool:
        return status in self.sources

    @property
    def service_path(self) -> str:
        return f"requests_app.{self.module}.{self.service}"


def _move(module: str, service: str, sources: set[str], target: str, by: By) -> Transition:
    return Transition(service=service, module=module, sources=frozenset(sources), target=target, by=by)


SUBMIT = _move("applications.services", "request_submit", {Status.DRAFT}, Status.AWAITING_SIGNATURE, By.APPLICANT)
# A new upload before the decision replaces the last one: under_review to under_review, recorded.
UPLOAD_SIGNED_COPY = _move(
    "documents.services",
    "signed_copy_record",
    {Status.AWAITING_SIGNATURE, Status.UNDER_REVIEW},
    Status.UNDER_REVIEW,
    By.APPLICANT,
)
APPROVE = _move("review.services", "request_approve", {Status.UNDER_REVIEW}, Status.APPROVED, By.REVIEWER)
REJECT = _move("review.services", "request_reject", {Status.UNDER_REVIEW}, Status.REJECTED, By.REVIEWER)
RETURN = _move("review.services", "request_return_for_correction", {Status.UNDER_REVIEW}, Status.RETURNED, By.REVIEWER)
RESUBMIT = _move(
    "applications.services", "request_resubmit", {Status.RETURNED}, Status.AWAITING_SIGNATURE, By.APPLICANT
)
REVOKE = _move("review.services", "request_revoke", {Status.APPROVED}, Status.REVOKED, By.REVIEWER)
EXPIRE = _move("applications.services", "request_expire", {Status.APPROVED}, Status.EXPIRED, By.PORTAL)
WITHDRAW = _move(
    "applications.services",
    "request_withdraw",
    {Status.DRAFT, Status.AWAITING_SIGNATURE, Status.UNDER_REVIEW, Status.RETURNED},
    Status.WITHDRAWN,
    By.APPLICANT,
)
WITHDRAW_STALE = _move(
    "applications.services",
    "request_withdraw_stale",
    {Status.AWAITING_SIGNATURE, Status.RETURNED},
    Status.WITHDRAWN,
    By.PORTAL,
)

# Who handles a request under review: recorded like any move (one event, same conditional UPDATE),
# the status staying as it is. Claims and assignments do not restart the wait (selectors.with_status_since).
CLAIM = _move("reviewing.services", "request_claim", {Status.UNDER_REVIEW}, Status.UNDER_REVIEW, By.REVIEWER)
ASSIGN = _move("reviewing.services", "request_assign", {Status.UNDER_REVIEW}, Status.UNDER_REVIEW, By.REVIEWER)
# Where the owner asks for two reviewers, the first approval is a recommendation.
RECOMMEND = _move(
    "reviewing.services", "request_recommend_approval", {Status.UNDER_REVIEW}, Status.UNDER_REVIEW, By.REVIEWER
)

# A licence nearing its end is renewed under the same reference: the licensee asks (with any changes
# to their details), a reviewer extends it to a new expiry or refuses (the licence then runs to its
# expiry as it stands), or the portal extends it at once when nothing changed and the owner allows
# that. It stays approved throughout.
RENEWAL_SUBMIT = _move("reviewing.renewals", "renewal_submit", {Status.APPROVED}, Status.APPROVED, By.APPLICANT)
EXTEND = _move("reviewing.renewals", "licence_extend", {Status.APPROVED}, Status.APPROVED, By.REVIEWER)
EXTEND_UNCHANGED = _move(
    "reviewing.renewals", "licence_extend_unchanged", {Status.APPROVED}, Status.APPROVED, By.PORTAL
)
RENEWAL_REFUSE = _move("reviewing.renewals", "renewal_refuse", {Status.APPROVED}, Status.APPROVED, By.REVIEWER)
# A licensee accepting a changed agreement: recorded, and news for the reviewers; it stays approved.
REACCEPT = _move(
    "agreement_format.reacceptance", "reacceptance_accept", {Status.APPROVED}, Status.APPROVED, By.APPLICANT
)

# Where the agreement asks for the owner's countersignature, a reviewer uploads the countersigned
# copy after approval: recorded like any move, the licence staying approved. Not BOOKKEEPING: the
# licensee reads its note in their history.
COUNTERSIGN = _move(
    "reviewing.countersignature", "countersigned_copy_record", {Status.APPROVED}, Status.APPROVED, By.REVIEWER
)

TRANSITIONS: tuple[Transition, ...] = (
    SUBMIT,
    UPLOAD_SIGNED_COPY,
    APPROVE,
    REJECT,
    RETURN,
    RESUBMIT,
    REVOKE,
    EXPIRE,
    WITHDRAW,
    WITHDRAW_STALE,
    CLAIM,
    ASSIGN,
    RECOMMEND,
    RENEWAL_SUBMIT,
    EXTEND,
    EXTEND_UNCHANGED,
    RENEWAL_REFUSE,
    REACCEPT,
    COUNTERSIGN,
)
# Moves that record who handles the request, not a change of what it is.
BOOKKEEPING = frozenset({CLAIM.service, ASSIGN.service, RECOMMEND.service})
# Where a request starts: the service that creates the draft writes its first event.
INITIAL = Status.DRAFT
# Still waiting for someone: the states a decision has not closed.
OPEN_STATUSES = WITHDRAW.sources


class TransitionNotAllowed(Exception):
    """The request is not in a state that allows this change, or this person may not make it.

    The message is for the user.
    """


class DecisionInvalid(ValueError):
    """The decision is missing something it needs (a reason, the fields to correct). For the user."""


def _status_message(request) -> str:
    last = request.events.select_related("actor").order_by("-at", "-pk").first()
    if last is None:
        return gettext("%(reference)s is %(status)s.") % {
            "reference": request.reference,
            "status": request.get_status_display().lower(),
        }
    if last.actor_id == request.applicant_id:
        who = gettext("the applicant")
    else:
        who = (last.actor.email or last.actor.get_username()) if last.actor else gettext("the portal")
    when = dates.moment(last.at)
    return gettext("%(reference)s is already %(status)s (%(who)s, %(when)s).") % {
        "reference": request.reference,
        "status": last.get_to_status_display().lower(),
        "who": who,
        "when": when,
    }


def refused(request) -> TransitionNotAllowed:
    """The error for a change the request's current state (reloaded from the database) does not allow."""
    request.refresh_from_db()
    return TransitionNotAllowed(_status_message(request))


def _may(transition: Transition, request, actor) -> bool:
    if transition.by == By.PORTAL:
        return actor is None
    if actor is None:
        return False
    if transition.by == By.APPLICANT:
        return actor.pk == request.applicant_id
    return actor.is_superuser or request.dataset.reviewers.filter(pk=actor.pk).exists()


def perform(
    transition: Transition,
    *,
    request,
    actor=None,
    note: str = "",
    ip: str | None = None,
    now: datetime.datetime | None = None,
    **changes,
):
    """Make `transition` on `request` if this actor may and, in the database, the request allows it.

    For the service that `transition` names only; everyone else calls that service.

    Must run inside a transaction (every service is atomic), so the event is written with the change
    or not at all. Updates `request` in place (with `changes`) and returns it.
    """
    if not _may(transition, request, actor):
        raise TransitionNotAllowed(
            gettext("Only %(who)s can do this to %(reference)s.")
            % {"who": transition.by.label, "reference": request.reference}
        )
    return _transition(request=request, transition=transition, actor=actor, note=note, ip=ip, now=now, **changes)


def _transition(*, request, transition: Transition, actor, note: str, ip: str | None, now, **changes):
    now = now or clock.now()
    model = type(request)
    current = model.objects.filter(pk=request.pk).values_list("status", flat=True).first()
    updated = 0
    if transition.allows(current):
        updated = model.objects.filter(pk=request.pk, status=current).update(
            status=transition.target, updated_at=now, **changes
        )
    if not updated:
        raise refused(request)
    for field, value in changes.items():
        setattr(request, field, value)
    request.status, request.updated_at = transition.target, now
    request.events.create(
        actor=actor,
        from_status=current,
        to_status=transition.target,
        note=note,
        at=now,
        ip=ip,
        transition=transition.service,
    )
    return request


def mermaid() -> str:
    """The state diagram, as the README shows it."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for transition in TRANSITIONS:
        for source in sorted(transition.sources):
            lines.append(f"    {source} --> {transition.target}: {transition.service} ({transition.by})")
    return "\n".join(lines)
