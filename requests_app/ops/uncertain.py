"""Notifications whose send is uncertain: claimed by a worker that never reported back.

A worker marks its batch claimed, sends, then marks what it sent. If it dies in between (killed,
out of memory, the machine lost), those rows stay claimed: some of their emails went out, some did
not, and nothing can tell which. Past NOTIFICATION_UNCERTAIN_AFTER_SECONDS (longer than any send
can take) they are shown as uncertain, and only an admin may send them again
(notifications.services.notifications_resend_uncertain): never automatically, since that could
email someone twice.
"""

import datetime

from django.conf import settings
from django.db.models import QuerySet

from ..models import Notification


def uncertain_since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.NOTIFICATION_UNCERTAIN_AFTER_SECONDS)


def uncertain(queryset: QuerySet[Notification], *, now: datetime.datetime) -> QuerySet[Notification]:
    return queryset.filter(sent_at__isnull=True, failed_at__isnull=True, claimed_at__lt=uncertain_since(now))


def being_sent(queryset: QuerySet[Notification], *, now: datetime.datetime) -> QuerySet[Notification]:
    return queryset.filter(sent_at__isnull=True, failed_at__isnull=True, claimed_at__gte=uncertain_since(now))
