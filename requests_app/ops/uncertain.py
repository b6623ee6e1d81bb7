"""Notifications whose send is uncertain: claimed by a worker that never reported back.

A worker marks its batch claimed, sends, then marks what it sent. If it dies in between (killed,
out of memory, the machine lost), those rows stay claimed: some of their emails went out, some did
not, and nothing can tell which. Past NOTIFICATION_UNCERTAIN_AFTER_SECONDS (longer than any send
can take) they are shown as uncertain, and only an admin may send them again: never automatically,
since that could email someone twice.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from .. import clock
from ..models import Notification


def uncertain_since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.NOTIFICATION_UNCERTAIN_AFTER_SECONDS)


def uncertain(queryset: QuerySet[Notification], *, now: datetime.datetime) -> QuerySet[Notification]:
    return queryset.filter(sent_at__isnull=True, failed_at__isnull=True, claimed_at__lt=uncertain_since(now))


def being_sent(queryset: QuerySet[Notification], *, now: datetime.datetime) -> QuerySet[Notification]:
    return queryset.filter(sent_at__isnull=True, failed_at__isnull=True, claimed_at__gte=uncertain_since(now))


@transaction.atomic
def resend_uncertain(*, notification_ids: list[int], now: datetime.datetime | None = None) -> int:
    """An admin, having checked (say, with the recipient), sends uncertain notifications again."""
    from ..tasks import send_notifications

    now = now or clock.now()
    ids = list(uncertain(Notification.objects.filter(pk__in=notification_ids), now=now).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        claimed_at=None, last_error="The worker sending it stopped; sent again by an admin."
    )
    transaction.on_commit(lambda: ids and send_notifications.delay(ids))
    return len(ids)
