"""The portal's one reading of the time: everything else asks `now()` or is handed `now=`."""

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    return timezone.now()


def today() -> datetime.date:
    """The date in the portal's time zone."""
    return local_date(now())


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)
