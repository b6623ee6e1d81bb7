"""Once a year of an active licence, the licensee is asked for the papers that used the dataset,
with the list of those already reported, so that they add only what is missing."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Exists, Min, OuterRef

from .. import clock
from ..applications.selectors import active_licences
from ..models import Notification
from ..notifications import emails
from ..notifications import services as notifications

Kind = Notification.Kind


def claim_papers_reminders(*, now: datetime.datetime | None = None) -> int:
    """Year N after approval (and for REMINDER_CATCH_UP_DAYS after, if the beat was down), one per licence."""
    now = now or clock.now()
    catch_up = datetime.timedelta(days=settings.REMINDER_CATCH_UP_DAYS)
    active = active_licences(now=now).filter(approved_at__isnull=False)
    oldest = active.aggregate(oldest=Min("approved_at"))["oldest"]
    due, years = [], 1
    while oldest is not None and now - relativedelta(years=years) >= oldest - datetime.timedelta(days=1):
        period = f"year-{years}"
        sent = Notification.objects.filter(request=OuterRef("pk"), kind=Kind.PAPERS_REMINDER, period=period)
        candidates = active.filter(
            approved_at__gt=now - catch_up - relativedelta(years=years) - datetime.timedelta(days=1),
            approved_at__lte=now - relativedelta(years=years) + datetime.timedelta(days=1),
        ).exclude(Exists(sent))
        for pk, approved_at in candidates.values_list("pk", "approved_at"):
            if now - catch_up < approved_at + relativedelta(years=years) <= now:
                due.append(Notification(request_id=pk, period=period))
        years += 1
    return notifications.notifications_claim_in_batches(kind=Kind.PAPERS_REMINDER, notifications=due, now=now)


def _send(notification: Notification) -> None:
    request = notification.request
    emails.papers_reminder(request, publications=list(request.publications.order_by("-year", "-reported_at")))


notifications.SENDERS[Kind.PAPERS_REMINDER] = _send
