"""Dates as readers of the active language write them: 1 Dec 2026 / 2026年12月1日 (accessportal/formats).

For messages built in Python; templates use `|date` (a day), `|date:"DATETIME_FORMAT"` and `|moment`.
"""

import datetime

from django.utils import timezone
from django.utils.formats import date_format


def day(value: datetime.date | datetime.datetime) -> str:
    """The calendar day, in the local time zone for a moment."""
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value)
    return date_format(value, "DATE_FORMAT")


def moment(value: datetime.datetime) -> str:
    """Day and time with the time zone: 1 Dec 2026 23:59 UTC / 2026年12月1日 23:59 UTC."""
    local = timezone.localtime(value)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"
