"""A changed agreement that licensees must accept: who must, what changed for them, and their acceptance.

When a version is published with `reacceptance_required`, every active licence of the dataset under
an earlier wording gets one pending Reacceptance and one email. Until the licensee accepts the
changed clauses (recorded as ClauseAcceptance rows of the new version), the delivery instructions
are hidden. Requests not yet approved keep the version they were made under: it is the one they
sign. Nudges follow NUDGE_AFTER_DAYS, each claimed once as a Notification.

Both changes touch the licence's `updated_at` (the API's "changed since") and send a signal inside
the transaction, which the download side (integrations/signals.py) turns into webhooks on commit.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import clock, workflow
from ..applications.selectors import active_licences
from ..models import AgreementVersion, ClauseAcceptance, LicenseRequest, Notification, Reacceptance
from ..notifications.services import notifications_claim, notifications_claim_in_batches
from ..workflow import TransitionNotAllowed
from . import diff
from .loading import sha256_text

Kind = Notification.Kind
# The history's note, stored in English and shown in the reader's language (templatetags/event_notes).
NOTE_ACCEPTED = gettext_noop("Changed agreement accepted (version %(version)s).")

# Sent with `version` and `request_ids`: those licensees must now accept `version` (each once).
reacceptance_needed = Signal()
# Sent with `reacceptance`: its licensee accepted the changed clauses.
reacceptance_done = Signal()


class AcceptanceIncomplete(ValueError):
    """Not every changed clause was accepted; the message says which."""


def pending(request: LicenseRequest) -> Reacceptance | None:
    """The newest wording this licensee still has to accept, if any."""
    return (
        Reacceptance.objects.filter(request=request, accepted_at__isnull=True)
        .select_related("agreement_version")
        .order_by("-required_at", "-pk")
        .first()
    )


def accepted_version(request: LicenseRequest) -> AgreementVersion:
    """The latest wording this licensee accepted: the signed one, or a newer one accepted since."""
    latest = (
        Reacceptance.objects.filter(request=request, accepted_at__isnull=False)
        .select_related("agreement_version")
        .order_by("-accepted_at", "-pk")
        .first()
    )
    return latest.agreement_version if latest else request.agreement_version


def changes_for(request: LicenseRequest, reacceptance: Reacceptance) -> list[diff.ClauseChange]:
    return diff.clause_changes(accepted_version(request).clauses, reacceptance.agreement_version.clauses)


def _period(version: AgreementVersion) -> str:
    return f"version-{version.pk}"


@transaction.atomic
def reacceptance_require(*, version: AgreementVersion, now: datetime.datetime | None = None) -> int:
    """Every active licensee of the dataset under another wording must accept `version`. Returns how many."""
    now = now or clock.now()
    AgreementVersion.objects.filter(pk=version.pk).update(reacceptance_required=True)
    licences = list(
        active_licences(now=now)
        .filter(dataset_id=version.dataset_id)
        .exclude(agreement_version=version)
        .values_list("pk", flat=True)
    )
    # A newer wording supersedes one still waiting: the licensee accepts the latest, against what they accepted.
    Reacceptance.objects.filter(request_id__in=licences, accepted_at__isnull=True).exclude(
        agreement_version=version
    ).delete()
    already = set(
        Reacceptance.objects.filter(request_id__in=licences, agreement_version=version).values_list(
            "request_id", flat=True
        )
    )
    Reacceptance.objects.bulk_create(
        [
            Reacceptance(request_id=pk, agreement_version=version, sha256=version.sha256, required_at=now)
            for pk in licences
        ],
        ignore_conflicts=True,
    )
    notifications_claim(
        kind=Kind.REACCEPTANCE_NEEDED,
        notifications=[Notification(request_id=pk, period=_period(version)) for pk in licences],
        now=now,
    )
    newly = [pk for pk in licences if pk not in already]
    if newly:
        LicenseRequest.objects.filter(pk__in=newly).update(updated_at=now)
        reacceptance_needed.send(sender=Reacceptance, version=version, request_ids=newly)
    return len(licences)


@transaction.atomic
def reacceptance_accept(
    *,
    request: LicenseRequest,
    user,
    clause_numbers: set[int],
    ip: str | None,
    user_agent: str,
) -> Reacceptance:
    """The licensee accepts every changed or added clause of the wording they must accept."""
    waiting = pending(request)
    if waiting is None or request.applicant_id != user.pk:
        raise TransitionNotAllowed(
            _("%(reference)s has no changed agreement to accept.") % {"reference": request.reference}
        )
    changes = [c for c in changes_for(request, waiting) if c.needs_acceptance]
    missing = [c.number for c in changes if c.number not in clause_numbers]
    if missing:
        raise AcceptanceIncomplete(
            _("Accept each changed clause to continue: %(clauses)s.")
            % {"clauses": ", ".join(_("clause %(number)s") % {"number": n} for n in missing)}
        )
    now = clock.now()
    if not Reacceptance.objects.filter(pk=waiting.pk, accepted_at__isnull=True).update(accepted_at=now):
        raise TransitionNotAllowed(_("This changed agreement was accepted already."))
    # The licence must still be active: the move refuses one that ended meanwhile (and rolls this back).
    workflow.perform(
        workflow.REACCEPT,
        request=request,
        actor=user,
        ip=ip,
        now=now,
        note=NOTE_ACCEPTED % {"version": waiting.agreement_version.label},
    )
    ClauseAcceptance.objects.bulk_create(
        ClauseAcceptance(
            request=request,
            agreement_version=waiting.agreement_version,
            clause_number=c.number,
            text_sha256=sha256_text(c.text),
            accepted_at=now,
            ip=ip,
            user_agent="".join(ch for ch in user_agent if ch.isprintable())[:400],
        )
        for c in changes
    )
    waiting.accepted_at = now
    LicenseRequest.objects.filter(pk=request.pk).update(updated_at=now)
    reacceptance_done.send(sender=Reacceptance, reacceptance=waiting)
    return waiting


def claim_nudges(*, now: datetime.datetime) -> int:
    """NUDGE_AFTER_DAYS after a changed agreement was required, while the licence is active and it is not accepted."""
    steps = sorted(settings.NUDGE_AFTER_DAYS)
    active = active_licences(now=now).values("pk")
    claimed = 0
    for days, next_days in zip(steps, [*steps[1:], None], strict=False):
        due = Reacceptance.objects.filter(
            accepted_at__isnull=True,
            request_id__in=active,
            required_at__lte=now - datetime.timedelta(days=days),
        )
        if next_days is not None:
            due = due.filter(required_at__gt=now - datetime.timedelta(days=next_days))
        claimed += notifications_claim_in_batches(
            kind=Kind.REACCEPTANCE_NUDGE,
            notifications=[
                Notification(request_id=request_id, period=f"version-{version_id}-day-{days}")
                for request_id, version_id in due.values_list("request_id", "agreement_version_id")
            ],
            now=now,
        )
    return claimed
