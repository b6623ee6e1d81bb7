"""Writes of the representative's confirmation. The answer is one RequestEvent, never a status change."""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import clock
from ..notifications import emails
from .models import RepresentativeConfirmation
from .tokens import make_token

# Event notes are part of the append-only history: they say what happened, never who (no names, no
# addresses), so that removing a request's personal data never needs to touch them.
NOTE_CONFIRMED = "The representative confirmed the request by the emailed link."
NOTE_DECLINED = "The representative declined the request by the emailed link."


class AlreadyAnswered(Exception):
    """The representative has answered this link already. The message is for them."""


def _link(confirmation) -> str:
    return settings.SITE_URL + reverse("identity:confirm", args=[make_token(confirmation)])


def _expires_on(confirmation) -> datetime.datetime:
    return confirmation.sent_at + datetime.timedelta(days=settings.REPRESENTATIVE_LINK_DAYS)


@transaction.atomic
def representative_confirmation_send(*, request) -> RepresentativeConfirmation | None:
    """Ask the representative named on `request` to confirm it, at the address the applicant gave.

    Once per address: a request issued again with the same representative's email (after a correction
    of another field) keeps the answer it has; a changed address is asked anew.
    """
    if not request.email:
        return None
    if request.representative_confirmations.filter(email__iexact=request.email).exists():
        return None
    confirmation = RepresentativeConfirmation.objects.create(request=request, email=request.email, sent_at=clock.now())
    _send_on_commit(confirmation, reminder=False)
    return confirmation


@transaction.atomic
def representative_answer(
    *, confirmation: RepresentativeConfirmation, confirmed: bool, ip: str | None, user_agent: str
) -> RepresentativeConfirmation:
    """Record the representative's answer once: on the confirmation row and as an event of the request."""
    now = clock.now()
    answer = RepresentativeConfirmation.Answer.CONFIRMED if confirmed else RepresentativeConfirmation.Answer.DECLINED
    user_agent = "".join(c for c in user_agent if c.isprintable())[:400]
    updated = RepresentativeConfirmation.objects.filter(pk=confirmation.pk, answer="").update(
        answer=answer, answered_at=now, ip=ip, user_agent=user_agent
    )
    if not updated:
        confirmation.refresh_from_db()
        raise AlreadyAnswered(
            _("This request was already answered (%(answer)s) on %(when)s.")
            % {
                "answer": confirmation.get_answer_display().lower(),
                "when": f"{confirmation.answered_at:%Y-%m-%d %H:%M} UTC",
            }
        )
    confirmation.answer, confirmation.answered_at, confirmation.ip, confirmation.user_agent = (
        answer,
        now,
        ip,
        user_agent,
    )
    request = type(confirmation.request).objects.get(pk=confirmation.request_id)
    # Not a change of status: the event records the answer in the history, at the request's current status.
    request.events.create(
        actor=None,
        from_status=request.status,
        to_status=request.status,
        note=NOTE_CONFIRMED if confirmed else NOTE_DECLINED,
        at=now,
        ip=ip,
        user_agent=user_agent,
    )
    return confirmation


@transaction.atomic
def representative_remind(*, confirmation: RepresentativeConfirmation, now: datetime.datetime) -> bool:
    """Send the one reminder, if nobody else has; claimed by a conditional update, so two sweeps send it once."""
    claimed = RepresentativeConfirmation.objects.filter(pk=confirmation.pk, answer="", reminded_at__isnull=True).update(
        reminded_at=now
    )
    if not claimed:
        return False
    _send_on_commit(confirmation, reminder=True)
    return True


def _send_on_commit(confirmation, *, reminder: bool) -> None:
    # In a worker, retried on mail errors: a mail server that is down never fails the applicant's page.
    from .tasks import send_representative_email

    transaction.on_commit(lambda: send_representative_email.delay(confirmation.pk, reminder))


def representative_email_send(*, confirmation_id: int, reminder: bool) -> None:
    """Write to the representative (the task's body); nothing once they have answered."""
    confirmation = RepresentativeConfirmation.objects.select_related("request__dataset", "request__applicant").get(
        pk=confirmation_id
    )
    if confirmation.answer:
        return
    emails.representative_confirmation(
        confirmation, link=_link(confirmation), expires_at=_expires_on(confirmation), reminder=reminder
    )
