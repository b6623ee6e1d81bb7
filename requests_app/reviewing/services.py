"""Writes of a reviewer's day: who handles a request, the two-person rule, and email preferences.

Claims and assignments are workflow moves that keep the status (workflow.CLAIM, workflow.ASSIGN):
one conditional UPDATE and one RequestEvent, like a decision, so the history says who took what.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from .. import workflow
from ..models import LicenseRequest, ReviewerPreference
from ..workflow import TransitionNotAllowed


def _name(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.email})" if full else user.email


def _reviews(user, request: LicenseRequest) -> bool:
    return request.dataset.reviewers.filter(pk=user.pk, is_active=True).exists()


def _current_assignee_id(request: LicenseRequest) -> int | None:
    # Locked (on PostgreSQL) so that two reviewers claiming at once are told about each other.
    return (
        LicenseRequest.objects.select_for_update().filter(pk=request.pk).values_list("assignee_id", flat=True).first()
    )


@transaction.atomic
def request_claim(*, request: LicenseRequest, reviewer, ip: str | None = None) -> LicenseRequest:
    """`reviewer` takes the request in hand; refused if another reviewer already has it."""
    current = _current_assignee_id(request)
    if current == reviewer.pk:
        raise TransitionNotAllowed(_("You are already handling %(reference)s.") % {"reference": request.reference})
    if current is not None:
        raise TransitionNotAllowed(
            _("%(reference)s is already handled by another reviewer; ask them, or assign it to yourself.")
            % {"reference": request.reference}
        )
    return workflow.perform(
        workflow.CLAIM,
        request=request,
        actor=reviewer,
        ip=ip,
        assignee=reviewer,
        note=f"Claimed by {_name(reviewer)}.",
    )


@transaction.atomic
def request_assign(*, request: LicenseRequest, reviewer, assignee, ip: str | None = None) -> LicenseRequest:
    """`reviewer` hands the request to `assignee`, another reviewer of the dataset (or to themself)."""
    if not _reviews(assignee, request):
        raise TransitionNotAllowed(
            _("%(email)s does not review %(name)s.") % {"email": assignee.email, "name": request.dataset.name}
        )
    if _current_assignee_id(request) == assignee.pk:
        raise TransitionNotAllowed(
            _("%(reference)s is already assigned to %(email)s.")
            % {"reference": request.reference, "email": assignee.email}
        )
    return workflow.perform(
        workflow.ASSIGN,
        request=request,
        actor=reviewer,
        ip=ip,
        assignee=assignee,
        note=f"Assigned to {_name(assignee)} by {_name(reviewer)}.",
    )


@transaction.atomic
def reviewer_set_preferences(*, user, daily_digest: bool, new_work: str) -> ReviewerPreference:
    """The reviewer's email choices: the overdue digest on or off, and how to hear of new work."""
    if new_work not in ReviewerPreference.NewWork.values:
        raise ValueError(f"Unknown choice {new_work!r}.")
    preference, _ = ReviewerPreference.objects.update_or_create(
        user=user, defaults={"daily_digest": daily_digest, "new_work": new_work}
    )
    return preference


# --- The two-person rule ----------------------------------------------------------------------------


def _recommenders(request: LicenseRequest) -> set[int]:
    """Who recommended approval since the request last changed (a new signed copy starts a new round)."""
    events = list(request.events.order_by("-at", "-pk").values_list("transition", "actor_id"))
    recommenders = set()
    for transition, actor_id in events:
        if transition == workflow.RECOMMEND.service:
            recommenders.add(actor_id)
        elif transition not in workflow.BOOKKEEPING:
            break
    return recommenders


def is_second_approval(*, request: LicenseRequest, reviewer) -> bool:
    """Under the two-person rule: whether `reviewer` approving now completes it (another recommended it).

    Refuses a reviewer approving what they recommended themselves.
    """
    recommenders = _recommenders(request)
    if recommenders - {reviewer.pk}:
        return True
    if reviewer.pk in recommenders:
        raise TransitionNotAllowed(
            _("You recommended %(reference)s already: another reviewer of %(name)s must approve it.")
            % {"reference": request.reference, "name": request.dataset.name}
        )
    return False


@transaction.atomic
def request_recommend_approval(
    *, request: LicenseRequest, reviewer, note: str = "", ip: str | None = None
) -> LicenseRequest:
    """The first of two approvals: recorded, the request stays under review for a second reviewer."""
    is_second_approval(request=request, reviewer=reviewer)
    note = note.strip()
    return workflow.perform(
        workflow.RECOMMEND,
        request=request,
        actor=reviewer,
        ip=ip,
        note=f"Approval recommended by {_name(reviewer)}; a second reviewer must approve."
        + (f" {note}" if note else ""),
    )
