"""Reads about the representative's confirmation."""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from .models import RepresentativeConfirmation


def latest_confirmation(*, request) -> RepresentativeConfirmation | None:
    """The last confirmation asked for this request (after a correction, of the corrected address)."""
    return request.representative_confirmations.order_by("-sent_at", "-pk").first()


def confirmation_missing(*, request) -> str | None:
    """Why a decision must wait for the representative, or None. Only when the dataset requires it."""
    if not request.dataset.representative_confirmation_required:
        return None
    latest = latest_confirmation(request=request)
    if latest is not None and latest.answer == RepresentativeConfirmation.Answer.CONFIRMED:
        return None
    if latest is not None and latest.answer == RepresentativeConfirmation.Answer.DECLINED:
        return _("The representative declined this request: it cannot be approved.")
    return _("The representative has not confirmed this request yet; the dataset requires it before approval.")


def confirmation_for_link(*, pk: int) -> RepresentativeConfirmation:
    """The confirmation a signed link names, with what its page shows; DoesNotExist when there is none."""
    return RepresentativeConfirmation.objects.select_related(
        "request__dataset", "request__agreement_version", "request__applicant"
    ).get(pk=pk)


def reminders_due(*, now: datetime.datetime):
    """Unanswered, unreminded confirmations sent at least REPRESENTATIVE_REMIND_AFTER_DAYS ago whose link still works."""
    sent_before = now - datetime.timedelta(days=settings.REPRESENTATIVE_REMIND_AFTER_DAYS)
    sent_after = now - datetime.timedelta(days=settings.REPRESENTATIVE_LINK_DAYS)
    return RepresentativeConfirmation.objects.filter(
        answer="", reminded_at__isnull=True, sent_at__lte=sent_before, sent_at__gt=sent_after
    ).select_related("request__dataset", "request__applicant")
