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


def working_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The moment `days` working days (Monday to Friday) before `moment`."""
    while days > 0:
        moment -= datetime.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment
